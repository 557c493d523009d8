// The broker: Aedes with sessions in Redis (aedes-persistence-redis) and the message bus in Redis
// (mqemitter-redis), so instances sharing one Redis behave as one; our hooks; and the TCP, TLS
// and WebSocket listeners on node:net, node:tls and ws. Every listener hands its stream to the
// same aedes.handle, so every rule holds on each of them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ItradeConfig } from '../config/schema.ts';
import { itradeError } from '../lib/errors.ts';
import { resolvePath } from '../lib/paths.ts';
import { PrincipalChannel } from './channel.ts';
import { authenticate } from './connect.ts';
import type { BrokerContext, BrokerDeps } from './context.ts';
import { onChainEvent, onRevocation } from './enforce.ts';
import { authorizeForward } from './forward.ts';
import { authorizePublish } from './publish.ts';
import { Sessions } from './sessions.ts';
import { authorizeSubscribe, onSubscribed, onUnsubscribed } from './subscribe.ts';

type BrokerConfig = ItradeConfig['broker'];

export interface MqttPorts {
  tcp?: number;
  tls?: number;
  ws?: number;
}

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
  close(): Promise<void>;
}

export interface BrokerOptions {
  cfg: BrokerConfig;
  redisUrl: string;
  keyPrefix: string;
  id?: string;
}

// Both are CommonJS without types: the parts used here, typed.
const persistenceRedis = createRequire(import.meta.url)('aedes-persistence-redis') as (o: { conn: Redis }) => { destroy(): Promise<void> };
const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as { MQEmitterRedisPrefix: new (prefix: string, o: object) => unknown };

export async function createBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<BrokerHandle> {
  const { cfg } = opts;
  let aedes: Aedes | undefined;
  let buyers: PrincipalChannel | undefined;
  const ctx: BrokerContext = { ...deps, sessions: new Sessions(), pending: new Set(), broker: () => aedes!, buyers: () => buyers! };
  const sessionsDb = new Redis(opts.redisUrl, { keyPrefix: `${opts.keyPrefix}mqtt:` });
  // The pub/sub prefix ends in '/' so it is a topic level of its own and wildcards still match.
  const mq = new MQEmitterRedisPrefix(`${opts.keyPrefix}mq/`, { connectionString: opts.redisUrl });
  // A Redis outage must not end the process: mqemitter-redis re-emits connection errors on an
  // emitter with no listener (which throws); ioredis reconnects by itself, so log and go on.
  const redisDown = (what: string) => (err: Error) => deps.log.warn({ err: err.message, what }, 'redis connection error; reconnecting');
  (mq as { state: { on(e: 'error', f: (err: Error) => void): void } }).state.on('error', redisDown('message bus'));
  sessionsDb.on('error', redisDown('sessions'));
  const persistence = persistenceRedis({ conn: sessionsDb });
  aedes = await Aedes.createBroker({
    ...(opts.id ? { id: opts.id } : {}),
    mq,
    persistence,
    concurrency: cfg.limits.concurrency,
    heartbeatInterval: cfg.limits.heartbeatIntervalMs,
    connectTimeout: cfg.limits.connectTimeoutMs,
    drainTimeout: cfg.limits.drainTimeoutMs,
    queueLimit: cfg.limits.queueLimit,
    maxInflightInbound: cfg.limits.maxInflightInbound,
    maxClientsIdLength: cfg.limits.maxClientIdLength,
    maxTopicLevels: cfg.limits.maxTopicLevels,
    keepaliveLimit: cfg.limits.keepaliveLimitSec,
    authenticate: authenticate(ctx),
    authorizePublish: authorizePublish(ctx),
    authorizeSubscribe: authorizeSubscribe(ctx),
    authorizeForward: authorizeForward(ctx),
  });
  buyers = new PrincipalChannel(aedes, 'buyers');
  const sellers = new PrincipalChannel(aedes, 'sellers');
  aedes.on('subscribe', onSubscribed(ctx));
  aedes.on('unsubscribe', onUnsubscribed(ctx));
  aedes.on('clientError', (client, err) => deps.log.debug({ clientId: client.id, err: err.message }, 'client error'));
  if (deps.sellerHandler) await sellerReplies(aedes, deps);
  const offChain = deps.entitlements.onEvent(onChainEvent(ctx));
  const offRevoked = deps.revocations.onRevoked(onRevocation(ctx));

  const servers: (Server | HttpServer)[] = [];
  const wss: WebSocketServer[] = [];
  const ports: MqttPorts = {};
  const a = aedes;
  try {
    if (cfg.listeners.tcp.enabled) ports.tcp = await listen(createNetServer(a.handle), cfg.listeners.tcp, 'tcp', servers);
    if (cfg.listeners.tls.enabled) ports.tls = await listen(tlsServer(cfg, a), cfg.listeners.tls, 'tls', servers);
    if (cfg.listeners.ws.enabled) {
      const http = createHttpServer();
      const ws = new WebSocketServer({ server: http, path: cfg.listeners.ws.path });
      ws.on('connection', (sock, req) => a.handle(createWebSocketStream(sock), req));
      wss.push(ws);
      ports.ws = await listen(http, cfg.listeners.ws, 'ws', servers);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await new Promise<void>((r) => a.close(() => r()));
    await persistence.destroy();
    throw err;
  }

  const close = async (): Promise<void> => {
    offChain();
    offRevoked();
    // Stop accepting, close every client (server.close waits for open sockets), then let go.
    // The persistence unsubscribes through the bus when destroyed, so it goes before aedes
    // closes the bus (aedes.close ends with mq.close).
    const stopped = Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    const clients = Object.values((a as unknown as { clients: Record<string, { close(cb: () => void): void }> }).clients);
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.close(() => r()))));
    for (const w of wss) for (const c of w.clients) c.terminate();
    await stopped;
    // Leases of the sessions just closed go back before Redis is let go.
    await Promise.all([...ctx.pending]);
    await persistence.destroy().catch(() => undefined);
    await new Promise<void>((r) => a.close(() => r()));
  };
  const leased = (buyer: string) => ctx.sessions.filter((x) => x.identity.sub === buyer && x.leases !== undefined).map((x) => x.leases!);
  const reclaimCredit = (buyer: string, sensor: string, n: number): number => {
    let moved = 0;
    for (const book of leased(buyer)) if (moved < n) moved += book.reclaim(sensor, n - moved);
    return moved;
  };
  const leaseCredit = (buyer: string, sensor: string): number => leased(buyer).reduce((sum, book) => sum + book.credit(sensor), 0);
  return { aedes: a, ctx, ports, buyers, sellers, reclaimCredit, leaseCredit, close };
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
    handler.onSellerMessage(seller, packet.topic, Buffer.from(packet.payload)).catch((err: unknown) => deps.log.warn({ err, seller }, 'seller handler failed'));
    done();
  };
  return new Promise((resolve) => a.subscribe('sellers/+/keys/replies', deliver as never, () => resolve()));
}

function tlsServer(cfg: BrokerConfig, a: Aedes): Server {
  try {
    const { certFile, keyFile } = cfg.listeners.tls;
    return createTlsServer({ cert: readFileSync(resolvePath(certFile)), key: readFileSync(resolvePath(keyFile)) }, a.handle);
  } catch (err) {
    throw itradeError('BROKER_LISTENER', 'broker.listeners.tls: certFile and keyFile must be readable PEM files', { cause: err });
  }
}

function listen(server: Server | HttpServer, l: { host: string; port: number }, name: string, servers: (Server | HttpServer)[]): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(itradeError('BROKER_LISTENER', `broker.listeners.${name}: cannot listen on ${l.host}:${l.port}`, { cause: err })));
    server.listen(l.port, l.host, () => {
      servers.push(server);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
