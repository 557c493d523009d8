// The broker: Aedes with sessions in Redis (aedes-persistence-redis) and the message bus in Redis
// (mqemitter-redis), so instances sharing one Redis behave as one; our hooks; and the TCP, TLS
// and WebSocket listeners on node:net, node:tls and ws. Every listener hands its stream to the
// same aedes.handle, so every rule holds on each of them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ItradeConfig } from '../config/schema.ts';
import { isItradeError, itradeError } from '../lib/errors.ts';
import { resolvePath } from '../lib/paths.ts';
import { ThrottledLog } from '../lib/throttled-log.ts';
import { PrincipalChannel } from './channel.ts';
import { authenticate } from './connect.ts';
import type { BrokerContext, BrokerDeps } from './context.ts';
import { onChainEvent, onRevocation } from './enforce.ts';
import { authorizeForward } from './forward.ts';
import { PACKET_OVERHEAD_BYTES, guardPacketLength } from './limits/packet-guard.ts';
import { RateLimiter } from './limits/rate.ts';
import { createBrokerMetrics } from './metrics.ts';
import { flushed } from './socket.ts';
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
  keyPrefix: string;
  id?: string;
}

// Both are CommonJS without types: the parts used here, typed.
const persistenceRedis = createRequire(import.meta.url)('aedes-persistence-redis') as (o: { conn: Redis }) => { destroy(): Promise<void> };
const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as { MQEmitterRedisPrefix: new (prefix: string, o: object) => { state: EventEmitter } };

export async function createBroker(opts: BrokerOptions, deps: BrokerDeps): Promise<BrokerHandle> {
  const { cfg } = opts;
  let aedes: Aedes | undefined;
  let buyers: PrincipalChannel | undefined;
  const sessions = new Sessions();
  const inflight = new Set<Promise<void>>();
  const l = cfg.limits;
  const ctx: BrokerContext = {
    ...deps,
    sessions,
    pending: new Set(),
    broker: () => aedes!,
    buyers: () => buyers!,
    metrics: createBrokerMetrics(deps.registry ?? new Registry(), { sessions: () => sessions.all(), inflight: () => inflight.size }),
    guard: { network: deps.network, connectRate: new RateLimiter(l.connectRate), publishRate: new RateLimiter(l.publishRate), maxPayloadBytes: l.maxPayloadBytes, peers: new WeakMap(), closing: false },
    inflight,
    refusals: {
      connect: new ThrottledLog(deps.log, 'connection refused'),
      publish: new ThrottledLog(deps.log, 'publish refused'),
      connection: new ThrottledLog(deps.log, 'connection closed on a protocol or limit error'),
    },
  };
  const sessionsDb = new Redis(opts.redisUrl, { keyPrefix: `${opts.keyPrefix}mqtt:` });
  // The pub/sub prefix ends in '/' so it is a topic level of its own and wildcards still match.
  const mq = new MQEmitterRedisPrefix(`${opts.keyPrefix}mq/`, { connectionString: opts.redisUrl });
  // mqemitter-redis re-emits its connections' errors on `state`; unheard, one Redis hiccup would
  // throw and end the process. ioredis reconnects by itself: log it, rate-limited.
  const busErrors = new ThrottledLog(deps.log, 'redis bus connection error: reconnecting', 'warn');
  mq.state.on('error', (err: Error) => busErrors.note(err.message.slice(0, 80), undefined, { err: err.message }));
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
  aedes.on('clientError', (client, err) => connectionError(ctx, client, err));
  aedes.on('connectionError', (client, err) => connectionError(ctx, client, err));
  if (deps.sellerHandler) await sellerReplies(aedes, deps);
  const offChain = deps.entitlements.onEvent(onChainEvent(ctx));
  const offRevoked = deps.revocations.onRevoked(onRevocation(ctx));

  const servers: (Server | HttpServer)[] = [];
  const wss: WebSocketServer[] = [];
  const ports: MqttPorts = {};
  const a = aedes;
  const accept = acceptor(ctx, a, l.maxPayloadBytes + PACKET_OVERHEAD_BYTES);
  try {
    if (cfg.listeners.tcp.enabled) ports.tcp = await listen(createNetServer(accept.socket), cfg.listeners.tcp, 'tcp', servers);
    if (cfg.listeners.tls.enabled) ports.tls = await listen(tlsServer(cfg, accept.socket), cfg.listeners.tls, 'tls', servers);
    if (cfg.listeners.ws.enabled) {
      const http = createHttpServer();
      const ws = new WebSocketServer({ server: http, path: cfg.listeners.ws.path, maxPayload: l.maxPayloadBytes + PACKET_OVERHEAD_BYTES });
      ws.on('connection', (sock, req) => accept.websocket(createWebSocketStream(sock), req));
      wss.push(ws);
      ports.ws = await listen(http, cfg.listeners.ws, 'ws', servers);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await new Promise<void>((r) => a.close(() => r()));
    await persistence.destroy();
    throw err;
  }

  let stopped: Promise<unknown> | undefined;
  const stopAccepting = (): void => {
    ctx.guard.closing = true;
    // server.close stops accepting at once; its promise settles when the last socket is gone.
    stopped ??= Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  };
  const drain = async (timeoutMs: number): Promise<number> => {
    stopAccepting();
    for (const c of liveClients(a)) c.pause();
    const deadline = Date.now() + timeoutMs;
    while (inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    }
    return inflight.size;
  };
  const close = async (): Promise<void> => {
    stopAccepting();
    offChain();
    offRevoked();
    // Close every client once what was written to it (PUBACKs) is flushed, then let go. The
    // persistence unsubscribes through the bus when destroyed, so it goes before aedes closes
    // the bus (aedes.close ends with mq.close).
    await Promise.all(liveClients(a).map(async (c) => {
      await flushed(c.conn as unknown as Duplex, 1000);
      await new Promise<void>((r) => c.close(() => r()));
    }));
    for (const w of wss) for (const c of w.clients) c.terminate();
    await stopped;
    // Leases of the sessions just closed go back before Redis is let go.
    await Promise.all([...ctx.pending]);
    for (const log of Object.values(ctx.refusals)) log.flushAll();
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
  return { aedes: a, ctx, ports, buyers, sellers, reclaimCredit, leaseCredit, stopAccepting, drain, close };
}

/**
 * Every listener hands its connection here: the client address is recorded (for the network
 * policy and the CONNECT rate, after trusted-proxy resolution on WebSocket) and the packet
 * length guard attached, before Aedes reads a byte.
 */
function acceptor(ctx: BrokerContext, a: Aedes, maxPacketBytes: number) {
  const start = (conn: Duplex, address: string | undefined, req?: IncomingMessage): void => {
    if (address) ctx.guard.peers.set(conn, address);
    const client = a.handle(conn as never, req) as unknown as Client;
    guardPacketLength(client, maxPacketBytes);
  };
  const network = ctx.guard.network;
  return {
    socket: (sock: Socket) => start(sock, network ? network.clientAddress(sock.remoteAddress) : sock.remoteAddress),
    websocket: (stream: Duplex, req: IncomingMessage) =>
      start(stream, network ? network.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']) : req.socket.remoteAddress, req),
  };
}

type LiveClient = Client & { pause(): void; conn: unknown };

function liveClients(a: Aedes): LiveClient[] {
  return Object.values((a as unknown as { clients: Record<string, LiveClient> }).clients);
}

// Aedes closes the connection on each of these; the reason is counted and logged, rate-limited.
const CONNECTION_ERRORS: [RegExp, string][] = [
  [/^topic has too many levels/, 'topic_too_deep'],
  [/^connect did not arrive in time/, 'connect_timeout'],
  [/^Client queue limit reached/, 'queue_limit'],
  [/^drain timeout/, 'drain_timeout'],
  [/^maxInflightInbound exceeded/, 'inflight_limit'],
  [/^Max payload size exceeded/, 'packet_too_large'], // ws maxPayload: a WebSocket frame over the bound
  [/^(ECONNRESET|EPIPE|ETIMEDOUT|read ECONNRESET|write EPIPE)/, 'socket'],
];

function connectionError(ctx: BrokerContext, client: Client, err: Error): void {
  const reason = classify(err);
  if (reason === undefined) return;
  ctx.metrics.connectionErrors.inc({ reason });
  const code = reason === 'packet_too_large' ? 'ITRADE_ERR_LIMIT_PACKET_TOO_LARGE' : reason === 'topic_too_deep' ? 'ITRADE_ERR_LIMIT_TOPIC_TOO_DEEP' : undefined;
  ctx.refusals.connection.note(reason, `${client.id ?? '-'}@${ctx.guard.peers.get(client.conn) ?? '?'}`, { reason, code, detail: err.message.slice(0, 120) });
}

function classify(err: Error): string | undefined {
  if (isItradeError(err, 'LIMIT_PACKET_TOO_LARGE')) return 'packet_too_large';
  // Our own refusals (CONNECT and PUBLISH steps) end here too; they were counted where they happened.
  if (isItradeError(err) || 'returnCode' in err) return undefined;
  return CONNECTION_ERRORS.find(([re]) => re.test(err.message))?.[1] ?? 'protocol';
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

function tlsServer(cfg: BrokerConfig, onSocket: (s: Socket) => void): Server {
  try {
    const { certFile, keyFile } = cfg.listeners.tls;
    return createTlsServer({ cert: readFileSync(resolvePath(certFile)), key: readFileSync(resolvePath(keyFile)) }, onSocket);
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
