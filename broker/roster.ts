// This instance's part of the operator's client list (interfaces/admin.ts): the clients it serves,
// written to Redis as one JSON value with a TTL. Written soon after each change (connect,
// disconnect, subscribe, unsubscribe) and refreshed every refreshMs, so an instance that died
// without cleaning up drops out of the list when its key expires. It also carries out disconnect
// requests addressed to this instance on the admin channel.
import type { Aedes } from 'aedes';
import type { Redis } from 'ioredis';
import { adminKeys, type ClientRecord, type DisconnectRequest } from '../interfaces/admin.ts';
import type { Logger } from '../lib/log.ts';
import type { BrokerContext } from './context.ts';

export interface RosterOptions {
  redis: Redis;
  /** A subscriber connection (pub/sub needs its own); shared with the revocation events. */
  sub: Redis;
  prefix: string;
  refreshMs?: number;
  /** How soon after a change the list is written (changes in between are written together). */
  settleMs?: number;
}

/** Aedes' record of a client's subscriptions by topic filter; untyped (canary: test/broker/internals.test.ts). */
export type WithSubscriptions = { subscriptions?: Record<string, unknown> };

export function subscribedTopics(client: object): string[] {
  return Object.keys((client as WithSubscriptions).subscriptions ?? {}).sort();
}

export class ClientRoster {
  private readonly keys: ReturnType<typeof adminKeys>;
  private readonly key: string;
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly aedes: Aedes,
    private readonly ctx: BrokerContext,
    private readonly o: RosterOptions,
  ) {
    this.keys = adminKeys(o.prefix);
    this.key = this.keys.roster(aedes.id);
    this.log = ctx.log;
  }

  async start(): Promise<void> {
    const touch = () => this.touch();
    this.aedes.on('client', touch);
    this.aedes.on('clientDisconnect', touch);
    this.aedes.on('subscribe', touch);
    this.aedes.on('unsubscribe', touch);
    this.o.sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.channel) this.onRequest(message);
    });
    await this.o.sub.subscribe(this.keys.channel);
    this.timer = setInterval(touch, this.o.refreshMs ?? 5000);
    this.timer.unref();
    await this.write();
  }

  /** This instance's clients, as the admin API lists them. */
  records(): ClientRecord[] {
    return this.ctx.sessions.all().map((s) => ({
      clientId: s.client.id,
      identity: { kind: s.identity.kind, sub: s.identity.sub },
      instance: this.aedes.id,
      ...(this.address(s.client) ? { address: this.address(s.client) } : {}),
      connectedSince: new Date(s.since).toISOString(),
      subscriptions: subscribedTopics(s.client),
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.o.sub.unsubscribe(this.keys.channel).catch(() => undefined);
    await this.o.redis.del(this.key).catch(() => undefined);
  }

  private address(client: { conn: object }): string | undefined {
    return this.ctx.guard.peers.get(client.conn);
  }

  private touch(): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.write();
    }, this.o.settleMs ?? 100);
    this.soon.unref();
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    // Three refresh periods: one missed write (a Redis hiccup) does not drop a live instance.
    const ttlSec = Math.max(1, Math.ceil((3 * (this.o.refreshMs ?? 5000)) / 1000));
    await this.o.redis
      .set(this.key, JSON.stringify(this.records()), 'EX', ttlSec)
      .catch((err: unknown) => this.log.warn({ err }, 'client list not written'));
  }

  private onRequest(message: string): void {
    let r: DisconnectRequest;
    try {
      r = JSON.parse(message) as DisconnectRequest;
    } catch {
      return this.log.warn({ channel: this.keys.channel }, 'malformed admin request ignored');
    }
    if (r.instance !== this.aedes.id) return;
    for (const s of this.ctx.sessions.filter((x) => x.client.id === r.clientId)) {
      this.log.info({ clientId: s.client.id, sub: s.identity.sub }, 'client disconnected by the operator');
      s.client.close();
    }
  }
}
