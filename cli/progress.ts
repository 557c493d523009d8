// Progress for commands that wait (for the chain, for services): each step is one line on
// stderr, and a step that takes long says so every few seconds, so a stalled node is told apart
// from a slow one. Lines, not a spinner: they read the same in a terminal and in CI logs.
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private since = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs = 5000,
  ) {}

  step(what: string): void {
    this.stop();
    this.write(`${what} ...`);
    this.since = Date.now();
    this.timer = setInterval(
      () => this.write(`  still waiting (${Math.round((Date.now() - this.since) / 1000)} s)`),
      this.everyMs,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async around<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } finally {
      this.stop();
    }
  }
}
