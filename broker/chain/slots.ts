// At most `n` chain look-ups at once; the others wait in arrival order. A thousand buyers
// subscribing at once would otherwise fire a thousand eth_getLogs at the node together, and
// the node, serving them all at once, answers none within rpcTimeoutMs: every check fails
// closed. Queued, they are answered in turn. A look-up that waits longer than `maxWaitMs` for
// its turn fails closed too, so a node that stopped answering cannot build an endless queue.
import { itradeError } from '../../lib/errors.ts';

interface Waiter {
  go(): void;
}

export class LoadSlots {
  private running = 0;
  // A Set iterates in insertion order: the longest waiting goes first.
  private readonly waiting = new Set<Waiter>();

  constructor(
    private readonly n: number,
    private readonly maxWaitMs: number,
  ) {}

  get queued(): number {
    return this.waiting.size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.n) this.running++;
    else await this.turn();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private turn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        go: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.delete(w);
        reject(itradeError('CHAIN_UNAVAILABLE', `no chain look-up could start within ${this.maxWaitMs} ms (${this.n} under way, ${this.waiting.size} waiting)`));
      }, this.maxWaitMs);
      this.waiting.add(w);
    });
  }

  // A finished look-up hands its slot straight to the next waiter, so nobody slips in between.
  private release(): void {
    const next = this.waiting.values().next();
    if (next.done) {
      this.running--;
      return;
    }
    this.waiting.delete(next.value);
    next.value.go();
  }
}
