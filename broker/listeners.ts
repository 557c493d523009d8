// The MQTT listeners (TCP on node:net, TLS on node:tls, WebSocket on ws) and what happens to
// every connection before Aedes reads a byte: its client address is recorded (for the network
// policy and the CONNECT rate: the device a trusted proxy's PROXY header names on a listener with
// proxyProtocol, then on WebSocket a trusted peer's X-Forwarded-For) and the packet length guard
// attached. Every listener hands its stream to the same aedes.handle, so every rule
// holds on each of them. Connections Aedes closes on a protocol or limit error are counted here.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ItradeConfig } from '../config/schema.ts';
import { errorCode, isItradeError, itradeError } from '../protocol/errors.ts';
import { tlsServer } from './tls-listener.ts';
import { proxyProtocolFirst, type ProxiedPeers } from './proxy-listener.ts';
import { normalise } from '../sovereignty/network.ts';
import type { BrokerContext } from './context.ts';
import { PACKET_OVERHEAD_BYTES, guardPacketLength } from './limits/packet-guard.ts';

type BrokerConfig = ItradeConfig['broker'];

export interface MqttPorts {
  tcp?: number;
  tls?: number;
  ws?: number;
}

export interface Listening {
  ports: MqttPorts;
  servers: (Server | HttpServer)[];
  wss: WebSocketServer[];
}

/** Starts the enabled listeners; on failure closes those already started and throws BROKER_LISTENER. */
export async function startListeners(cfg: BrokerConfig, ctx: BrokerContext, a: Aedes): Promise<Listening> {
  const maxPacket = cfg.limits.maxPayloadBytes + PACKET_OVERHEAD_BYTES;
  const proxied: Proxied = {};
  const accept = acceptor(ctx, a, maxPacket, proxied);
  const front = (server: Server, name: ListenerName): Server => {
    proxied[name] = proxyFront(server, name, cfg, ctx);
    return server;
  };
  const { tcp, tls, ws } = cfg.listeners;
  const l: Listening = { ports: {}, servers: [], wss: [] };
  try {
    if (tcp.enabled) l.ports.tcp = await listen(front(createNetServer(accept.socket), 'tcp'), tcp, 'tcp', l.servers);
    if (tls.enabled) {
      const server = front(tlsServer(tls, accept.tlsSocket, ctx.log), 'tls');
      l.ports.tls = await listen(server, tls, 'tls', l.servers);
    }
    if (ws.enabled) {
      const http = createHttpServer();
      const wss = new WebSocketServer({ server: http, path: ws.path, maxPayload: maxPacket });
      wss.on('connection', (sock, req) => accept.websocket(createWebSocketStream(sock), req));
      l.wss.push(wss);
      l.ports.ws = await listen(front(http, 'ws'), ws, 'ws', l.servers);
    }
  } catch (err) {
    await Promise.all(l.servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }
  return l;
}

type ListenerName = 'tcp' | 'tls' | 'ws';
type Proxied = Partial<Record<ListenerName, ProxiedPeers>>;

/** The PROXY protocol in front of a listener that has it on; only sovereignty.trustedProxies may send a header. */
function proxyFront(server: Server, name: ListenerName, cfg: BrokerConfig, ctx: BrokerContext) {
  const network = ctx.guard.network;
  if (!cfg.listeners[name].proxyProtocol || !network) return undefined;
  const trusted = (peer: string | undefined) => network.isProxy(normalise(peer));
  return proxyProtocolFirst(server, { name, trusted, timeoutMs: cfg.limits.connectTimeoutMs, log: ctx.log });
}

function acceptor(ctx: BrokerContext, a: Aedes, maxPacketBytes: number, proxied: Proxied) {
  const start = (conn: Duplex, address: string | undefined, req?: IncomingMessage): void => {
    if (address) ctx.guard.peers.set(conn, address);
    const client = a.handle(conn as never, req);
    ctx.connections.add(client);
    conn.once('close', () => ctx.connections.delete(client));
    guardPacketLength(client, maxPacketBytes);
  };
  const network = ctx.guard.network;
  // The peer is the device a trusted proxy's PROXY header names, else the socket's own peer;
  // on WebSocket a trusted peer's X-Forwarded-For is judged after that.
  const address = (name: ListenerName, conn: Socket, forwardedFor?: string | string[]) => {
    const p = proxied[name];
    const peer = p?.has(conn) ? p.address(conn) : conn.remoteAddress;
    return network ? network.clientAddress(peer, forwardedFor) : peer;
  };
  return {
    socket: (sock: Socket) => start(sock, address('tcp', sock)),
    tlsSocket: (sock: Socket) => start(sock, address('tls', sock)),
    websocket: (stream: Duplex, req: IncomingMessage) =>
      start(stream, address('ws', req.socket, req.headers['x-forwarded-for']), req),
  };
}

function listen(
  server: Server | HttpServer,
  l: { host: string; port: number },
  name: string,
  servers: (Server | HttpServer)[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        itradeError('BROKER_LISTENER', `broker.listeners.${name}: cannot listen on ${l.host}:${l.port}`, {
          cause: err,
        }),
      ),
    );
    server.listen(l.port, l.host, () => {
      servers.push(server);
      resolve((server.address() as AddressInfo).port);
    });
  });
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

/** Aedes' clientError / connectionError: the connection is already being closed. */
export function connectionError(ctx: BrokerContext, client: Client, err: Error): void {
  const reason = classify(err);
  if (reason === undefined) return;
  ctx.metrics.connectionErrors.inc({ reason });
  const code =
    reason === 'packet_too_large'
      ? errorCode('LIMIT_PACKET_TOO_LARGE')
      : reason === 'topic_too_deep'
        ? errorCode('LIMIT_TOPIC_TOO_DEEP')
        : undefined;
  ctx.refusals.connection.note(reason, `${client.id ?? '-'}@${ctx.guard.peers.get(client.conn) ?? '?'}`, {
    reason,
    code,
    detail: err.message.slice(0, 120),
  });
}

function classify(err: Error): string | undefined {
  if (isItradeError(err, 'LIMIT_PACKET_TOO_LARGE')) return 'packet_too_large';
  // Our own refusals (CONNECT and PUBLISH steps) end here too; they were counted where they happened.
  if (isItradeError(err) || 'returnCode' in err) return undefined;
  return CONNECTION_ERRORS.find(([re]) => re.test(err.message))?.[1] ?? 'protocol';
}
