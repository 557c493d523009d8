// Time, behind an interface, for code whose behaviour depends on timers (throttled logs, lease
// retries, the shutdown deadline): production uses the system clock, tests a fake one they move
// by hand (test/helpers/clock.ts), so no test has to sleep against a timer in the code.

/** What a started timer hands back (a NodeJS.Timeout, or a fake one). */
export interface Timer {
  unref?(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; the timer does not keep the process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout | undefined),
};
