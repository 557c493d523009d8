// The MQTT listeners (TCP on node:net, TLS on node:tls, WebSocket on ws) and what happens to
// every connection before Aedes reads a byte: its client address is recorded (for the network
// policy and the CONNECT rate, after trusted-proxy resolution on WebSocket) and the packet
// length guard attached. Every listener hands its stream to the same aedes.handle, so every rule
// holds on each of them. Connections Aedes closes on a protocol or limit error are counted here.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ItradeConfig } from '../config/schema.ts';
import { errorCode, isItradeError, itradeError } from '../protocol/errors.ts';
import { tlsServer } from './tls-listener.ts';
import { readProxyHeader } from './proxy-protocol.ts';
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
  const accept = acceptor(ctx, a, maxPacket, cfg);
  const l: Listening = { ports: {}, servers: [], wss: [] };
  try {
    if (cfg.listeners.tcp.enabled)
      l.ports.tcp = await listen(createNetServer(accept.socket), cfg.listeners.tcp, 'tcp', l.servers);
    if (cfg.listeners.tls.enabled)
      l.ports.tls = await listen(
        tlsServer(cfg.listeners.tls, accept.tlsSocket, ctx.log),
        cfg.listeners.tls,
        'tls',
        l.servers,
      );
    if (cfg.listeners.ws.enabled) {
      const http = createHttpServer();
      const ws = new WebSocketServer({ server: http, path: cfg.listeners.ws.path, maxPayload: maxPacket });
      ws.on('connection', (sock, req) => accept.websocket(createWebSocketStream(sock), req));
      l.wss.push(ws);
      l.ports.ws = await listen(http, cfg.listeners.ws, 'ws', l.servers);
    }
  } catch (err) {
    await Promise.all(l.servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }
  return l;
}

function acceptor(ctx: BrokerContext, a: Aedes, maxPacketBytes: number, cfg: BrokerConfig) {
  const start = (conn: Duplex, address: string | undefined, req?: IncomingMessage): void => {
    if (address) ctx.guard.peers.set(conn, address);
    const client = a.handle(conn as never, req);
    ctx.connections.add(client);
    conn.once('close', () => ctx.connections.delete(client));
    guardPacketLength(client, maxPacketBytes);
  };
  const network = ctx.guard.network;
  const proxied = (sock: Socket) =>
    readProxyHeader(sock, cfg.limits.connectTimeoutMs).then(
      (address) => start(sock, normalise(address)),
      (err: Error) => {
        ctx.log.warn({ peer: sock.remoteAddress, err: err.message }, 'proxy protocol header refused');
        sock.destroy();
      },
    );
  return {
    socket: (sock: Socket) =>
      cfg.listeners.tcp.proxyProtocol && network?.isProxy(sock.remoteAddress)
        ? void proxied(sock)
        : start(sock, network ? network.clientAddress(sock.remoteAddress) : sock.remoteAddress),
    tlsSocket: (sock: Socket) => start(sock, network ? network.clientAddress(sock.remoteAddress) : sock.remoteAddress),
    websocket: (stream: Duplex, req: IncomingMessage) =>
      start(
        stream,
        network
          ? network.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'])
          : req.socket.remoteAddress,
        req,
      ),
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
