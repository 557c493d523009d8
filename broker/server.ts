// The broker: Aedes with sessions in Redis (aedes-persistence-redis) and the message bus in Redis
// (mqemitter-redis), so instances sharing one Redis behave as one; our hooks; the listeners
// (broker/listeners.ts) and the staged shutdown (broker/lifecycle.ts).
import { createRequire } from 'node:module';
import type { RedisSecurity } from '../config/clients.ts';
import type { EventEmitter } from 'node:events';
import { Aedes } from 'aedes';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import mqemitterRedis from 'mqemitter-redis';
import type { ItradeConfig } from '../config/schema.ts';
import { ThrottledLog } from '../lib/throttled-log.ts';
import { PrincipalChannel } from './channel.ts';
import { authenticate, rememberWill } from './connect.ts';
import type { BrokerContext, BrokerDeps, Persistence } from './context.ts';
import { onChainEvent, onRevocation } from './enforce.ts';
import { authorizeForward } from './forward.ts';
import { lifecycle } from './lifecycle.ts';
import { RateLimiter } from './limits/rate.ts';
import { connectionError, startListeners, type MqttPorts } from './listeners.ts';
import { createBrokerMetrics } from './metrics.ts';
import { authorizePublish } from './publish.ts';
import { Sessions } from './sessions.ts';
import { authorizeSubscribe, onSubscribed, onUnsubscribed } from './subscribe.ts';

export type { MqttPorts } from './listeners.ts';

type BrokerConfig = ItradeConfig['broker'];

export interface BrokerHandle {
  aedes: Aedes;
  ctx: BrokerContext;
  ports: MqttPorts;
  buyers: PrincipalChannel;
  sellers: PrincipalChannel;
  /** Moves up to n unspent live-lease entries of this buyer and sensor to the caller (see LeaseBook.reclaim). */
  reclaimCredit(buyer: string, sensor: string, n: number): number;
  /** Unspent live-lease entries of this buyer and sensor on this instance. */
  leaseCredit(buyer: string, sensor: string): number;
  /** Shutdown, step 1: stop accepting connections and refuse new CONNECTs and publishes. */
  stopAccepting(): void;
  /**
   * Shutdown, step 2: stop reading from clients and wait (up to `timeoutMs`) for the publishes
   * already inside the broker: the history store acknowledges them and their PUBACKs go out.
   * Resolves with how many were still waiting at the timeout.
   */
  drain(timeoutMs: number): Promise<number>;
  /** Shutdown, step 3 (runs 1 when not done): close every session, give leases back, let go of Redis. */
  close(): Promise<void>;
}

export interface BrokerOptions {
  cfg: BrokerConfig;
  redisUrl: string;
  /** TLS and ACL credentials of the Redis connections (config/clients.ts). */
  redisSecurity?: RedisSecurity;
  keyPrefix: string;
  id?: string;
}

// Both are CommonJS without types: the parts used here, typed.
const persistenceRedis = createRequire(import.meta.url)('aedes-persistence-redis') as (o: {
  conn: Redis;
}) => Persistence & { destroy(): Promise<void> };
const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as {
  MQEmitterRedisPrefix: new (prefix: string, o: object) => { state: EventEmitter };
};

export async function createBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<BrokerHandle> {
  const { cfg } = opts;
  let buyers: PrincipalChannel | undefined;
  const sessionsDb = new Redis(opts.redisUrl, { ...opts.redisSecurity, keyPrefix: `${opts.keyPrefix}mqtt:` });
  // An unheard ioredis 'error' event throws and would end the process; ioredis reconnects.
  sessionsDb.on('error', (err: Error) =>
    deps.log.warn({ err: err.message, what: 'sessions' }, 'redis connection error; reconnecting'),
  );
  const persistence = persistenceRedis({ conn: sessionsDb });
  const ctx = brokerContext(cfg, deps, { buyers: () => buyers!, persistence });
  const a = await Aedes.createBroker({
    ...(opts.id ? { id: opts.id } : {}),
    ...aedesOptions(cfg, ctx),
    mq: bus(cfg, opts, deps),
    persistence,
  });
  buyers = new PrincipalChannel(a, 'buyers');
  const sellers = new PrincipalChannel(a, 'sellers');
  a.on('subscribe', onSubscribed(ctx));
  a.on('unsubscribe', onUnsubscribed(ctx));
  a.on('clientError', (client, err) => connectionError(ctx, client, err));
  a.on('connectionError', (client, err) => connectionError(ctx, client, err));
  if (deps.sellerHandler) await sellerReplies(a, deps);
  const offChain = deps.entitlements.onEvent(onChainEvent(ctx));
  const offRevoked = deps.revocations.onRevoked(onRevocation(ctx));
  const listening = await startListeners(cfg, ctx, a).catch(async (err: unknown) => {
    await new Promise<void>((r) => a.close(() => r()));
    await persistence.destroy();
    throw err;
  });
  const phases = lifecycle(ctx, a, listening, { persistence, unsubscribe: () => (offChain(), offRevoked()) });
  const leased = (buyer: string) =>
    ctx.sessions.filter((x) => x.identity.sub === buyer && x.leases !== undefined).map((x) => x.leases!);
  const reclaimCredit = (buyer: string, sensor: string, n: number): number => {
    let moved = 0;
    for (const book of leased(buyer)) if (moved < n) moved += book.reclaim(sensor, n - moved);
    return moved;
  };
  const leaseCredit = (buyer: string, sensor: string): number =>
    leased(buyer).reduce((sum, book) => sum + book.credit(sensor), 0);
  return { aedes: a, ctx, ports: listening.ports, buyers, sellers, reclaimCredit, leaseCredit, ...phases };
}

function brokerContext(
  cfg: BrokerConfig,
  deps: BrokerDeps,
  parts: Pick<BrokerContext, 'buyers' | 'persistence'>,
): BrokerContext {
  const sessions = new Sessions();
  const inflight = new Set<Promise<void>>();
  const l = cfg.limits;
  return {
    ...deps,
    ...parts,
    sessions,
    certIdentity: cfg.listeners.tls.certIdentity,
    connections: new Set(),
    pending: new Set(),
    metrics: createBrokerMetrics(deps.registry ?? new Registry(), {
      sessions: () => sessions.all(),
      inflight: () => inflight.size,
    }),
    guard: {
      network: deps.network,
      connectRate: new RateLimiter(l.connectRate),
      publishRate: new RateLimiter(l.publishRate),
      maxPayloadBytes: l.maxPayloadBytes,
      peers: new WeakMap(),
      wills: new WeakSet(),
      closing: false,
    },
    inflight,
    refusals: {
      connect: new ThrottledLog(deps.log, 'connection refused'),
      publish: new ThrottledLog(deps.log, 'publish refused'),
      connection: new ThrottledLog(deps.log, 'connection closed on a protocol or limit error'),
      entitlement: new ThrottledLog(deps.log, 'entitlement check failed', 'warn'),
    },
  };
}

function aedesOptions(cfg: BrokerConfig, ctx: BrokerContext) {
  const l = cfg.limits;
  return {
    concurrency: l.concurrency,
    heartbeatInterval: l.heartbeatIntervalMs,
    connectTimeout: l.connectTimeoutMs,
    drainTimeout: l.drainTimeoutMs,
    queueLimit: l.queueLimit,
    maxInflightInbound: l.maxInflightInbound,
    maxClientsIdLength: l.maxClientIdLength,
    maxTopicLevels: l.maxTopicLevels,
    keepaliveLimit: l.keepaliveLimitSec,
    preConnect: rememberWill(ctx),
    authenticate: authenticate(ctx),
    authorizePublish: authorizePublish(ctx),
    authorizeSubscribe: authorizeSubscribe(ctx),
    authorizeForward: authorizeForward(ctx),
  };
}

/**
 * The bus between publishers and subscribers. On Redis pub/sub (the default) every instance sharing
 * the Redis sees every publish; `memory` keeps it in the process, for a single instance. The Redis
 * prefix ends in '/' so it is a topic level of its own and wildcards still match.
 */
function bus(cfg: ItradeConfig['broker'], opts: BrokerOptions, deps: BrokerDeps): object {
  if (cfg.bus === 'memory') return mqemitter({ concurrency: cfg.limits.concurrency });
  // Its own connections, so they carry TLS and the ACL user (its connectionString could not).
  const conn = () => new Redis(opts.redisUrl, { ...opts.redisSecurity, enableAutoPipelining: true });
  const mq = new MQEmitterRedisPrefix(`${opts.keyPrefix}mq/`, { subConn: conn(), pubConn: conn() });
  // mqemitter-redis re-emits its connections' errors on `state`; unheard, one Redis hiccup would
  // throw and end the process. ioredis reconnects by itself: log it, rate-limited.
  const errors = new ThrottledLog(deps.log, 'redis bus connection error: reconnecting', 'warn');
  mq.state.on('error', (err: Error) => errors.note(err.message.slice(0, 80), undefined, { err: err.message }));
  return mq;
}

/**
 * A key agent's reply may be awaited by any instance (docs/key-exchange.md), so every instance
 * listens on the cluster bus for sellers/+/keys/replies. Only the agent of <s> can publish there
 * (broker/acl.ts), so the topic names the authenticated seller.
 */
function sellerReplies(a: Aedes, deps: BrokerDeps): Promise<void> {
  const handler = deps.sellerHandler!;
  const deliver = (packet: { topic: string; payload: Buffer | string }, done: () => void): void => {
    const seller = packet.topic.split('/')[1]!;
    handler
      .onSellerMessage(seller, packet.topic, Buffer.from(packet.payload))
      .catch((err: unknown) => deps.log.warn({ err, seller }, 'seller handler failed'));
    done();
  };
  return new Promise((resolve) => a.subscribe('sellers/+/keys/replies', deliver as never, () => resolve()));
}
