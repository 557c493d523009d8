// Calls made during one turn of the event loop, sent as one. Each call into Redis is a socket
// write and a read of its own, and on a virtual machine a system call costs tens of microseconds:
// under the paper workload the cursor's advances alone, one per acknowledged window, were 7 % of
// the gateway's CPU in write calls (docs/benchmark.md). The batch leaves in setImmediate, after
// every I/O callback of this turn has run, so PUBACKs read from many buyers' sockets in one poll
// share one command. Nothing waits longer than the rest of the turn.

/** Runs a batch; answers one result per item, in order, or throws for all of them. */
export type BatchRun<I, O> = (items: I[]) => Promise<O[]>;

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(err: unknown): void;
}

export class TurnBatch<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private scheduled = false;

  /** `max` bounds one batch (a Lua script blocks Redis while it runs). */
  constructor(
    private readonly run: BatchRun<I, O>,
    private readonly max = 256,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += this.max) void this.send(all.slice(i, i + this.max));
  }

  private async send(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await this.run(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`batch of ${batch.length} answered ${out.length} results`);
      batch.forEach((w, i) => w.resolve(out[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
