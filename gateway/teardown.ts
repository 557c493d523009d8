// What the gateway lets go of, in one fixed order whatever order it was started in. Sessions
// close before the services (no publish reaches a bridge that is draining); the HTTP API waits
// for the bridge (its history streams end with the store); the operator endpoint stays until the
// end (/readyz says "shutting down", /metrics stays scrapeable); Redis is last.
export const TEARDOWN_ORDER = [
  'broker sessions',
  'bridge and key service',
  'chain',
  'http api',
  'readiness checks',
  'operator endpoint',
  'redis',
] as const;
export type TeardownStep = (typeof TEARDOWN_ORDER)[number];

export class Teardown {
  private readonly steps = new Map<TeardownStep, () => Promise<unknown> | void>();

  set(name: TeardownStep, step: () => Promise<unknown> | void): void {
    this.steps.set(name, step);
  }

  /** Runs every registered step once, in TEARDOWN_ORDER; a failing step does not stop the rest. */
  async run(failed: (name: string, err: unknown) => void): Promise<void> {
    for (const name of TEARDOWN_ORDER) {
      const step = this.steps.get(name);
      this.steps.delete(name);
      if (!step) continue;
      try {
        await step();
      } catch (err) {
        failed(name, err);
      }
    }
  }
}
