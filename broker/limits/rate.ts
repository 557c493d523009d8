// Token buckets keyed by client address (CONNECT rate) or sensor (publish rate). A bucket holds
// up to `burst` tokens and refills at `perSec`; each event takes one. Thirty lines of arithmetic
// beat a dependency here. Memory is bounded: buckets live in a Map kept in recency order, a full
// (idle) bucket at the old end is dropped as new traffic passes by, and past `maxKeys` the least
// recently used bucket goes (it then starts full again, which only favours the client).

export interface RateOptions {
  perSec: number;
  burst: number;
  /** Most keys tracked at once. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number; // ms of the last refill
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(private readonly o: RateOptions) {
    this.maxKeys = o.maxKeys ?? 100_000;
  }

  get enabled(): boolean {
    return this.o.perSec > 0;
  }

  /** Takes one token for `key`; false when its bucket is empty (the event is over the rate). */
  take(key: string, now = Date.now()): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: now };
    this.buckets.delete(key);
    this.refill(b, now);
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    this.trim(now);
    return ok;
  }

  /** Keys tracked now (for tests and the gauge). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(b: Bucket, now: number): void {
    b.tokens = Math.min(this.o.burst, b.tokens + (Math.max(0, now - b.at) * this.o.perSec) / 1000);
    b.at = now;
  }

  // Amortised O(1): look at no more than two of the oldest buckets per call.
  private trim(now: number): void {
    for (let i = 0; i < 2; i++) {
      const oldest = this.buckets.entries().next();
      if (oldest.done) return;
      const [key, b] = oldest.value;
      const full = b.tokens + ((now - b.at) * this.o.perSec) / 1000 >= this.o.burst;
      if (!full && this.buckets.size <= this.maxKeys) return;
      this.buckets.delete(key);
    }
  }
}
