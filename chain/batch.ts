// Entitlement checks that wait together are asked together: one multicall eth_call for up to
// maxBatch (buyer, sensor) pairs. A batch is cut when a chain slot (the cache's limiter,
// broker.entitlements.maxConcurrentLoads) is granted, not when the first check arrives, so under a
// storm of new buyers the checks that queue behind busy slots leave in a few full batches
// instead of one eth_call each; alone, a check leaves at once in a batch of one.
import type { Limit } from '../lib/limiter.ts';

interface Pending<T> {
  key: readonly [string, string];
  resolve(v: T): void;
  reject(err: unknown): void;
}

export class PairBatcher<T> {
  private queue: Pending<T>[] = [];
  /** A slot has been asked for and not granted yet: new pairs join the batch it will take. */
  private asking = false;

  constructor(
    private readonly slots: Limit,
    private readonly maxBatch: number,
    /** Answers every pair, in order, in one call. */
    private readonly run: (pairs: (readonly [string, string])[]) => Promise<T[]>,
  ) {}

  load(buyer: string, sensor: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ key: [buyer, sensor], resolve, reject });
      this.ask();
    });
  }

  private ask(): void {
    if (this.asking || this.queue.length === 0) return;
    this.asking = true;
    this.slots(() => {
      this.asking = false;
      const batch = this.queue.splice(0, this.maxBatch);
      // More waiting than one batch takes: the next slot is asked for now, to run in parallel.
      this.ask();
      return batch.length === 0 ? Promise.resolve() : this.answer(batch);
    }).catch((err: unknown) => {
      // The slot was refused (waited maxLoadWaitMs): the node is not keeping up; fail closed.
      this.asking = false;
      for (const p of this.queue.splice(0)) p.reject(err);
    });
  }

  private async answer(batch: Pending<T>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.key));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
