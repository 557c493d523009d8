// The gateway's cache of wrapped keys (paper Fig. 3, step 1.6): one Redis string per
// (sensor, key id, buyer) at `<prefix>wrapped:<sensor>:<keyId>:<buyer>`, holding only what the
// buyer is sent anyway: the RSA-wrapped key, the seller's signature and the key's period. The
// gateway cannot unwrap it, so the cache never holds an AES key or a reading.
import type { Redis } from 'ioredis';
import type { KeyGrant } from '../protocol/key-exchange.ts';
import type { Logger } from '../lib/log.ts';

export interface CachedGrant extends KeyGrant {
  /** Fingerprint of the buyer public key it was wrapped for: a re-keyed buyer misses the cache. */
  buyerKey: string;
}

export interface WrappedKeyCache {
  get(sensor: string, keyId: number, buyer: string): Promise<CachedGrant | undefined>;
  put(buyer: string, grant: CachedGrant, ttlSec: number): Promise<void>;
}

export function wrappedKeyCacheKey(prefix: string, sensor: string, keyId: number, buyer: string): string {
  return `${prefix}wrapped:${sensor.toLowerCase()}:${keyId}:${buyer.toLowerCase()}`;
}

function isCachedGrant(v: unknown): v is CachedGrant {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.sensor === 'string' &&
    typeof o.keyId === 'number' &&
    typeof o.sinceMs === 'number' &&
    (o.untilMs === null || typeof o.untilMs === 'number') &&
    typeof o.wrapped === 'string' &&
    typeof o.signature === 'string' &&
    typeof o.buyerKey === 'string'
  );
}

export class RedisWrappedKeyCache implements WrappedKeyCache {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly log: Logger;

  constructor(redis: Redis, prefix: string, log: Logger) {
    this.redis = redis;
    this.prefix = prefix;
    this.log = log;
  }

  async get(sensor: string, keyId: number, buyer: string): Promise<CachedGrant | undefined> {
    const raw = await this.redis.get(wrappedKeyCacheKey(this.prefix, sensor, keyId, buyer));
    if (raw === null) return undefined;
    try {
      const v: unknown = JSON.parse(raw);
      if (isCachedGrant(v) && v.sensor === sensor && v.keyId === keyId) return v;
    } catch {
      // fall through: a damaged entry is a miss, and the next answer overwrites it
    }
    this.log.warn({ sensor, keyId, buyer }, 'ignoring a malformed wrapped-key cache entry');
    return undefined;
  }

  async put(buyer: string, grant: CachedGrant, ttlSec: number): Promise<void> {
    const value: CachedGrant = {
      sensor: grant.sensor,
      keyId: grant.keyId,
      sinceMs: grant.sinceMs,
      untilMs: grant.untilMs,
      wrapped: grant.wrapped,
      signature: grant.signature,
      buyerKey: grant.buyerKey,
    };
    await this.redis.set(
      wrappedKeyCacheKey(this.prefix, grant.sensor, grant.keyId, buyer),
      JSON.stringify(value),
      'EX',
      ttlSec,
    );
  }
}
