// The chain's answers, cached in Redis (shared by every instance) for a TTL from config.
// Concurrent look-ups of one key in this process share one load (one RPC round); an invalidation
// (a chain event) deletes the key at once and stops a load already under way from writing back
// what it read before the event. A load that fails is CHAIN_UNAVAILABLE: fail closed. A key may
// live in a group (one Redis hash, e.g. every buyer's subscriptions to one sensor) so that one
// event about the group (the sensor blocked) drops all of it with one DEL instead of a SCAN.
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

  /**
   * The cached answer to `k` (in `group` when given), else `load()`'s, cached. `slotted: false`:
   * the load takes its own slot and timeout (a batch of loads, chain/batch.ts).
   */
  async get<T>(k: string, load: () => Promise<T>, group?: string, slotted = true): Promise<T> {
    const hit = group ? await this.redis.hget(this.key(group), k) : await this.redis.get(this.key(k));
    this.onLookup?.(k, hit !== null);
    if (hit !== null) return JSON.parse(hit) as T;
    const id = group ? `${group}|${k}` : k;
    const running = this.inflight.get(id);
    if (running) return running as Promise<T>;
    const gen = this.gen(id) + (group ? this.gen(group) : 0);
    const bounded = slotted ? () => this.slots(() => withTimeout(load(), this.timeoutMs)) : load;
    const p = this.load(k, bounded, gen, group).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  private gen(id: string): number {
    return this.generation.get(id) ?? 0;
  }

  private async load<T>(k: string, load: () => Promise<T>, gen: number, group?: string): Promise<T> {
    const value = await load();
    const json = JSON.stringify(value);
    if (!group) {
      if (this.gen(k) === gen) await this.redis.set(this.key(k), json, 'EX', this.ttlSec);
    } else if (this.gen(`${group}|${k}`) + this.gen(group) === gen) {
      // The group's TTL restarts with each write: an entry may outlive ttlSec by up to the
      // group's busiest stretch; chain events, not the TTL, are what keep it right.
      await this.redis.multi().hset(this.key(group), k, json).expire(this.key(group), this.ttlSec).exec();
    }
    return value;
  }

  private bump(id: string): void {
    this.generation.set(id, this.gen(id) + 1);
    this.inflight.delete(id);
  }

  async invalidate(...keys: string[]): Promise<void> {
    for (const k of keys) this.bump(k);
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.key(k)));
  }

  /** Drops `k` of `group`, or the whole group when `k` is absent. */
  async invalidateIn(group: string, k?: string): Promise<void> {
    if (k === undefined) {
      this.bump(group);
      for (const id of [...this.inflight.keys()]) if (id.startsWith(`${group}|`)) this.inflight.delete(id);
      await this.redis.del(this.key(group));
      return;
    }
    this.bump(`${group}|${k}`);
    await this.redis.hdel(this.key(group), k);
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
