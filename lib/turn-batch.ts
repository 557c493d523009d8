// Calls made during one turn of the event loop, sent as one. Each call into Redis is a socket
// write and a read of its own, and on a virtual machine a system call costs tens of microseconds:
// under the paper workload the cursor's advances alone, one per acknowledged window, were 7 % of
// the gateway's CPU in write calls (docs/benchmark.md). The batch leaves in setImmediate, after
// every I/O callback of this turn has run, so PUBACKs read from many buyers' sockets in one poll
// share one command. Nothing waits longer than the rest of the turn, unless `serial`: then the
// next batch leaves only once the one before has answered, and the calls of every turn in between
// gather into it (Nagle's rule for requests: one round trip's worth of calls per command, so the
// number of commands follows the round trip, not the rate, and at a low rate nothing waits).

/** Runs a batch; answers one result per item, in order, or throws for all of them. */
export type BatchRun<I, O> = (items: I[]) => Promise<O[]>;

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(err: unknown): void;
}

export interface TurnBatchOptions {
  /** Most items in one batch (a Lua script blocks Redis while it runs); more go as several. */
  max?: number;
  /** The next batch leaves once the one before has answered; calls gather meanwhile. */
  serial?: boolean;
}

export class TurnBatch<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private scheduled = false;
  /** A serial batch's calls are under way. */
  private busy = false;
  private readonly max: number;
  private readonly serial: boolean;

  constructor(
    private readonly run: BatchRun<I, O>,
    opts: TurnBatchOptions = {},
  ) {
    this.max = opts.max ?? 256;
    this.serial = opts.serial ?? false;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < all.length; i += this.max) sends.push(this.send(all.slice(i, i + this.max)));
    if (!this.serial || sends.length === 0) return;
    this.busy = true;
    // send() settles every caller itself and never rejects.
    void Promise.all(sends).then(() => {
      this.busy = false;
      if (this.waiting.length > 0) this.schedule();
    });
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
