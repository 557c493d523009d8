// Operator revocation, shared by every broker instance through Redis: a jti denylist (each entry
// lives until the token would have expired anyway) and a per-subject "revoked before" mark, with
// a pub/sub message so every instance cuts the live sessions at once, not at their next CONNECT.
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/log.ts';

export interface Revocation {
  jti?: string;
  sub?: string;
  /** With `sub`: tokens of that subject issued at or before this unix second are revoked. */
  before?: number;
}

export class RevocationStore {
  private readonly listeners = new Set<(r: Revocation) => void>();
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly maxTokenTtlSec: number,
    private readonly log: Logger,
  ) {
    this.channel = `${prefix}revocations`;
  }

  async start(): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const r = JSON.parse(message) as Revocation;
        for (const l of this.listeners) l(r);
      } catch (err) {
        this.log.warn({ err }, 'malformed revocation message ignored');
      }
    });
    await this.sub.subscribe(this.channel);
  }

  onRevoked(listener: (r: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Revokes one token until `exp` (unix seconds). */
  async revokeJti(jti: string, exp: number): Promise<void> {
    const ttl = Math.max(1, exp - Math.floor(Date.now() / 1000));
    await this.redis.set(`${this.prefix}revoked:jti:${jti}`, '1', 'EX', ttl);
    await this.redis.publish(this.channel, JSON.stringify({ jti }));
  }

  /** Revokes every token of `sub` issued up to now (a new login afterwards works again). */
  async revokeSubject(sub: string): Promise<number> {
    const before = Math.floor(Date.now() / 1000);
    await this.redis.set(`${this.prefix}revoked:sub:${sub}`, String(before), 'EX', this.maxTokenTtlSec);
    await this.redis.publish(this.channel, JSON.stringify({ sub, before }));
    return before;
  }

  async isRevoked(t: { jti: string; sub: string; iat: number }): Promise<boolean> {
    const [byJti, bySub] = await this.redis.mget(
      `${this.prefix}revoked:jti:${t.jti}`,
      `${this.prefix}revoked:sub:${t.sub}`,
    );
    return byJti !== null || (bySub !== null && t.iat <= Number(bySub));
  }
}

/** True when a revocation message covers a live token. */
export function covers(r: Revocation, t: { jti: string; sub: string; iat: number }): boolean {
  if (r.jti !== undefined) return r.jti === t.jti;
  return r.sub === t.sub && t.iat <= (r.before ?? Infinity);
}
