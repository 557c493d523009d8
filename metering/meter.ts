// The shared entry counter: one Redis integer per buyer and sensor (entries handed out), moved
// only by Lua scripts so a take never lets the count pass the paid limit, however many broker
// instances take at once (Redis runs each script atomically). The limit is what the chain says
// now: the sum of `dataEntries` over the buyer's valid, started subscriptions to the sensor.
import type { Redis } from 'ioredis';
import type { Entitlements, SubscriptionGrant } from '../interfaces/layers.ts';
import type { LeaseMeter } from './leases.ts';
import { normAddress } from '../protocol/topics.ts';

/** The paid limit: the entries of every valid, started subscription. */
export function paidLimit(grants: readonly SubscriptionGrant[]): number {
  return grants.reduce((n, g) => n + g.dataEntries, 0);
}

// KEYS[1] counter; ARGV[1] limit, ARGV[2] wanted. Returns the entries granted (0: used up).
const TAKE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local free = tonumber(ARGV[1]) - used
local n = math.min(tonumber(ARGV[2]), free)
if n <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], n)
return n`;

// KEYS[1] counter; ARGV[1] entries handed back (never below zero).
const RELEASE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local back = math.min(tonumber(ARGV[1]), used)
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back`;

export class RedisMeter implements LeaseMeter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly entitlements: Entitlements,
  ) {}

  private key(buyer: string, sensor: string): string {
    return `${this.prefix}meter:${normAddress(buyer)}:${normAddress(sensor)}`;
  }

  /** The paid limit now (throws CHAIN_UNAVAILABLE when the chain cannot say). */
  async limit(buyer: string, sensor: string): Promise<number> {
    return paidLimit(await this.entitlements.validSubscriptions(buyer, sensor));
  }

  // Grants the caller already holds save the two cache reads (sensor, subscriptions) a limit costs.
  async take(buyer: string, sensor: string, n: number, grants?: readonly SubscriptionGrant[]): Promise<number> {
    if (n <= 0) return 0;
    const limit = grants ? paidLimit(grants) : await this.limit(buyer, sensor);
    if (limit <= 0) return 0;
    return Number(await this.redis.eval(TAKE, 1, this.key(buyer, sensor), limit, n));
  }

  async release(buyer: string, sensor: string, n: number): Promise<void> {
    if (n > 0) await this.redis.eval(RELEASE, 1, this.key(buyer, sensor), n);
  }

  async used(buyer: string, sensor: string): Promise<number> {
    return Number((await this.redis.get(this.key(buyer, sensor))) ?? 0);
  }

  async remaining(buyer: string, sensor: string): Promise<number> {
    const [limit, used] = await Promise.all([this.limit(buyer, sensor), this.used(buyer, sensor)]);
    return Math.max(0, limit - used);
  }
}
