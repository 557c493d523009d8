// The broker: Aedes with sessions (subscriptions only) in Redis (aedes-persistence-redis) and the
// control bus (notices, key exchange) in Redis (mqemitter-redis), so instances sharing one Redis
// behave as one; our hooks; the listeners (broker/listeners.ts) and the staged shutdown
// (broker/lifecycle.ts). Sensor data never travels that bus nor waits in Redis: each buyer reads
// it from the sensor's Kafka log at its cursor (broker/feed.ts, docs/broker.md).
import { createRequire } from 'node:module';
import type { RedisSecurity } from '../config/clients.ts';
import type { EventEmitter } from 'node:events';
import { Aedes, type Client } from 'aedes';
import { sensorOfTopic } from '../protocol/topics.ts';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import mqemitterRedis from 'mqemitter-redis';
import type { ItradeConfig } from '../config/schema.ts';
import type { KeyAgentPresence } from '../interfaces/layers.ts';
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
import { AgentPresence } from './presence.ts';
import { Sessions } from './sessions.ts';
import { authorizeSubscribe, onConnackSent, onSubscribed, onUnsubscribed } from './subscribe.ts';

export type { MqttPorts } from './listeners.ts';

type BrokerConfig = ItradeConfig['broker'];

export interface BrokerHandle {
  aedes: Aedes;
  ctx: BrokerContext;
  ports: MqttPorts;
  buyers: PrincipalChannel;
  sellers: PrincipalChannel;
  /** Whether a seller's key agent is connected to any instance (broker/presence.ts). */
  agents: KeyAgentPresence;
  /** Shutdown, step 1: stop accepting connections and refuse new CONNECTs and publishes. */
  stopAccepting(): void;
  /**
   * Shutdown, step 2: stop reading from clients and wait (up to `timeoutMs`) for the publishes
   * already inside the broker: the history store acknowledges them and their PUBACKs go out.
   * Resolves with how many were still waiting at the timeout.
   */
  drain(timeoutMs: number): Promise<number>;
  /** Shutdown, step 3 (runs 1 when not done): close every session, count what was acknowledged, let go of Redis. */
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
}) => Persistence & {
  destroy(): Promise<void>;
  addSubscriptions(client: Client, subs: object[]): Promise<unknown>;
  outgoingClearMessageId(client: Client, packet: { messageId: number }): Promise<unknown>;
};
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
  const connacks = new ConnackWaiters();
  const presence = new AgentPresence(sessionsDb, cfg.keyAgentPresenceTtlMs, deps.log);
  const ctx = brokerContext(cfg, deps, {
    buyers: () => buyers!,
    persistence,
    presence,
    connacked: (c) => connacks.wait(c),
  });
  takePubacks(ctx, persistence);
  storeSubscriptionsOnce(persistence);
  const a = await Aedes.createBroker({
    ...(opts.id ? { id: opts.id } : {}),
    ...aedesOptions(cfg, ctx),
    mq: bus(cfg, opts, deps),
    persistence,
  });
  keepSensorDataOffTheBus(a);
  a.on('connackSent', (_p: unknown, client: Client) => connacks.sent(client));
  a.on('connackSent', onConnackSent(ctx));
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
  const agents: KeyAgentPresence = { online: (seller) => presence.online(seller) };
  return { aedes: a, ctx, ports: listening.ports, buyers, sellers, agents, ...phases };
}

function brokerContext(
  cfg: BrokerConfig,
  deps: BrokerDeps,
  parts: Pick<BrokerContext, 'buyers' | 'persistence' | 'connacked' | 'presence'>,
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
 * A device's sensor-data PUBLISH is in Kafka before its PUBACK (broker/publish.ts) and buyers
 * read it from there; aedes' PUBLISH handler then hands it to broker.publish
 * (lib/handlers/publish.js, enqueuePublish), which would copy it to every instance over the
 * Redis bus and into persistent sessions' Redis queues (aedes.js, enqueueOffline). An own
 * `publish` on the instance keeps sensor data out of both; everything else goes on as before.
 * Canary: test/broker/internals.test.ts.
 */
function keepSensorDataOffTheBus(a: Aedes): void {
  const publish = a.publish.bind(a) as (p: { topic: string }, c: unknown, done?: (e?: Error) => void) => void;
  (a as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
    if (sensorOfTopic(packet.topic) === undefined) return publish(packet, client, done);
    const cb = typeof client === 'function' ? (client as (e?: Error) => void) : done;
    cb?.();
  };
}

/**
 * aedes asks its persistence to clear the packet id of every PUBACK it reads
 * (lib/handlers/puback.js), the one place a PUBACK shows. Those of the feeds' entries
 * (broker/feed.ts) are theirs: they never were in the persistence.
 */
function takePubacks(ctx: BrokerContext, persistence: { outgoingClearMessageId: Function }): void {
  type Clear = (c: Client, p: { messageId: number }) => unknown;
  const clear = persistence.outgoingClearMessageId.bind(persistence) as Clear;
  persistence.outgoingClearMessageId = (client: Client, packet: { messageId: number }) => {
    for (const f of ctx.sessions.get(client)?.feeds?.values() ?? [])
      if (f.onPuback(packet.messageId)) return Promise.resolve(undefined);
    return clear(client, packet);
  };
}

/**
 * For a persistent session aedes stores the SUBSCRIBE's whole filter list once per filter
 * (lib/handlers/subscribe.js, storeSubscriptions, with `packet.subscriptions`), and
 * aedes-persistence-redis waits for each store's broadcast under a key made of the client and the
 * first filter only (aedes-persistence broadcastPersistence.js): with several filters the waits
 * overwrite each other and the SUBACK of a 4-sensor SUBSCRIBE came 20-28 s late. One store per list.
 */
function storeSubscriptionsOnce(persistence: { addSubscriptions: Function }): void {
  type Add = (c: Client, subs: object[]) => Promise<unknown>;
  const add = persistence.addSubscriptions.bind(persistence) as Add;
  const stored = new WeakMap<object[], Promise<unknown>>();
  persistence.addSubscriptions = (client: Client, subs: object[]) => {
    let p = stored.get(subs);
    if (!p) stored.set(subs, (p = add(client, subs)));
    return p;
  };
}

/** Who waits for a client's CONNACK to have gone out (a restored session's delivery). */
class ConnackWaiters {
  private readonly waiting = new WeakMap<Client, (() => void)[]>();

  // aedes sets Client#connackSent only after its 'connackSent' listeners ran: remember it here.
  private readonly sentTo = new WeakSet<Client>();

  wait(client: Client): Promise<void> {
    if (this.sentTo.has(client) || (client as unknown as { connackSent?: boolean }).connackSent)
      return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(client, [...(this.waiting.get(client) ?? []), resolve]));
  }

  sent(client: Client): void {
    this.sentTo.add(client);
    for (const w of this.waiting.get(client) ?? []) w();
    this.waiting.delete(client);
  }
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
