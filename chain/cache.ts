// The chain's answers, cached in Redis (shared by every instance) for a TTL from config.
// Concurrent look-ups of one key in this process share one load (one RPC round); an invalidation
// (a chain event) deletes the key at once and stops a load already under way from writing back
// what it read before the event. A load that fails is CHAIN_UNAVAILABLE: fail closed.
import type { Redis } from 'ioredis';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import type { Limit } from '../lib/limiter.ts';

export class ChainCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSec: number,
    private readonly timeoutMs: number,
    /** Bounds the loads under way at once; the timeout starts when a load does. */
    private readonly slots: Limit,
    /** Told of every look-up: answered from Redis (hit) or not (miss). */
    private readonly onLookup?: (key: string, hit: boolean) => void,
  ) {}

  private key(k: string): string {
    return `${this.prefix}chain:${k}`;
  }

  async get<T>(k: string, load: () => Promise<T>): Promise<T> {
    const hit = await this.redis.get(this.key(k));
    this.onLookup?.(k, hit !== null);
    if (hit !== null) return JSON.parse(hit) as T;
    const running = this.inflight.get(k);
    if (running) return running as Promise<T>;
    const gen = this.generation.get(k) ?? 0;
    const p = this.load(k, load, gen).finally(() => this.inflight.delete(k));
    this.inflight.set(k, p);
    return p;
  }

  private async load<T>(k: string, load: () => Promise<T>, gen: number): Promise<T> {
    const value = await this.slots(() => withTimeout(load(), this.timeoutMs));
    if ((this.generation.get(k) ?? 0) === gen)
      await this.redis.set(this.key(k), JSON.stringify(value), 'EX', this.ttlSec);
    return value;
  }

  async invalidate(...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.generation.set(k, (this.generation.get(k) ?? 0) + 1);
      this.inflight.delete(k);
    }
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.key(k)));
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(itradeError('CHAIN_UNAVAILABLE', `the chain did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } catch (err) {
    if (isItradeError(err)) throw err;
    throw itradeError('CHAIN_UNAVAILABLE', 'the chain cannot be asked', { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
