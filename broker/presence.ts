// Whether a seller's key agent is connected, for people to see (GraphQL keyAgentOnline). Aedes keeps
// no subscriptions of clean sessions in its store, so the broker keeps a record of its own in Redis:
// per seller a sorted set of the connections subscribed to sellers/<s>/keys/requests, each scored by
// when it lapses. Each instance refreshes its own while they stay connected and removes them on
// UNSUBSCRIBE and disconnect; an instance that dies leaves entries that lapse by their score.
import { randomUUID } from 'node:crypto';
import type { Client } from 'aedes';
import type { Redis } from 'ioredis';
import type { KeyAgentPresence } from '../interfaces/layers.ts';
import type { Logger } from '../lib/log.ts';

export class AgentPresence implements KeyAgentPresence {
  /** This instance's agents: connection → seller. */
  private readonly local = new Map<Client, string>();
  /** Names this instance in the members, so two instances' equal client ids stay apart. */
  private readonly instance = randomUUID();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Redis,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  private key(seller: string): string {
    return `agents:${seller}`;
  }

  private member(client: Client): string {
    return `${this.instance}/${client.id}`;
  }

  /**
   * The connection subscribed to its seller's key requests. Commands go out in call order on one
   * Redis connection, so a leave() called after this join() always removes what it wrote.
   */
  join(seller: string, client: Client): Promise<unknown> {
    this.local.set(client, seller);
    this.timer ??= setInterval(() => this.refresh(), Math.max(1, Math.floor(this.ttlMs / 3))).unref();
    return this.write([[client, seller]]);
  }

  /** The connection unsubscribed or closed: no longer an agent (a no-op for any other). */
  leave(client: Client): Promise<unknown> {
    const seller = this.local.get(client);
    if (seller === undefined) return Promise.resolve();
    this.local.delete(client);
    return this.db.zrem(this.key(seller), this.member(client));
  }

  async online(seller: string): Promise<boolean> {
    return (await this.db.zcount(this.key(seller), Date.now(), '+inf')) > 0;
  }

  /** Shutdown: no more refreshes (the closing connections leave on their own). */
  stop(): void {
    clearInterval(this.timer);
  }

  private refresh(): void {
    if (this.local.size === 0) return;
    this.write([...this.local]).catch((err: unknown) => this.log.warn({ err }, 'key agent presence not refreshed'));
  }

  private write(entries: [Client, string][]): Promise<unknown> {
    const until = Date.now() + this.ttlMs;
    const m = this.db.multi();
    for (const [client, seller] of entries) {
      // Lapsed members of other instances go too, and the set itself lapses with its last member.
      m.zremrangebyscore(this.key(seller), '-inf', Date.now())
        .zadd(this.key(seller), until, this.member(client))
        .pexpire(this.key(seller), this.ttlMs);
    }
    return m.exec();
  }
}
