// A clock the test moves by hand (lib/clock.ts): timers fire when `advance` passes their time,
// in the order they are due, and never otherwise.
import type { Clock, Timer } from '../../lib/clock.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private readonly timers = new Map<Timer, Pending>();
  private seq = 0;

  constructor(private t = 1_750_000_000_000) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Timer = { unref: () => timer };
    this.timers.set(timer, { at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return timer;
  }

  clearTimeout(t: Timer | undefined): void {
    if (t) this.timers.delete(t);
  }

  /** Timers started and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, p]) => p.at <= end)
        .sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

/** Lets every promise continuation and immediate queued so far run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
