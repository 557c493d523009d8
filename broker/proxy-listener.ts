// The PROXY protocol in front of any MQTT listener (broker.listeners.<name>.proxyProtocol): TCP
// (node:net), TLS (node:tls: a load balancer in TCP pass-through mode sends the header before
// the ClientHello) and WebSocket (node:http: the header comes before the HTTP upgrade). The
// server's own connection handling (its 'connection' listeners: the TLS handshake, the HTTP
// parser) gets a trusted proxy's socket only once the header is read off it, with the bytes
// after the header put back; node:tls and node:http both take injected connections that way
// (canary: test/broker/proxy-listener.test.ts). The device address is kept by the connection's
// peer address and port, which the TLS socket over it reports too. A peer that is not a trusted
// proxy goes through untouched: a header it sends is not believed and breaks its MQTT, TLS or HTTP.
import type { Server, Socket } from 'node:net';
import type { Logger } from '../lib/log.ts';
import { normalise } from '../sovereignty/network.ts';
import { readProxyHeader } from './proxy-protocol.ts';

export interface ProxyListenerOptions {
  /** Listener name for the log. */
  name: string;
  /** True for a peer in sovereignty.trustedProxies. */
  trusted(peer: string | undefined): boolean;
  /** Time a trusted peer has to send its header. */
  timeoutMs: number;
  log: Logger;
}

interface Peer {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** The device addresses the PROXY headers of a listener's open connections gave. */
export class ProxiedPeers {
  private readonly byPeer = new Map<string, string | undefined>();

  /** Whether a header was read for this connection (the raw socket or the TLS socket over it). */
  has(conn: Peer): boolean {
    return this.byPeer.has(key(conn));
  }

  /** The device address of this connection's header (the balancer's own for LOCAL/UNKNOWN). */
  address(conn: Peer): string | undefined {
    return this.byPeer.get(key(conn));
  }

  set(sock: Socket, address: string | undefined): void {
    const k = key(sock);
    this.byPeer.set(k, address);
    sock.once('close', () => this.byPeer.delete(k));
  }
}

// The balancer's address and source port name one open connection to this listener.
const key = (p: Peer) => `${normalise(p.remoteAddress) ?? '?'}|${p.remotePort ?? '?'}`;

/**
 * Reads the PROXY header of every connection from a trusted proxy before `server` sees the
 * connection. Call it once the server is made (its own 'connection' listeners are taken over).
 */
export function proxyProtocolFirst(server: Server, o: ProxyListenerOptions): ProxiedPeers {
  const inner = server.listeners('connection') as ((sock: Socket) => void)[];
  server.removeAllListeners('connection');
  const peers = new ProxiedPeers();
  const deliver = (sock: Socket) => {
    for (const f of inner) f.call(server, sock);
  };
  server.on('connection', (sock: Socket) => {
    if (!o.trusted(sock.remoteAddress)) return deliver(sock);
    readProxyHeader(sock, o.timeoutMs).then(
      (address) => {
        if (sock.destroyed) return;
        peers.set(sock, normalise(address));
        deliver(sock);
        // The header was read in flowing mode and the socket left paused, the rest in its buffer.
        // node:http listens for 'data' and waits for it to flow; node:tls took the buffer and
        // reads the handle itself (no 'data' listener: resuming would read past it); Aedes pipes.
        if (!sock.destroyed && sock.listenerCount('data') > 0) sock.resume();
      },
      (err: Error) => {
        o.log.warn({ listener: o.name, peer: sock.remoteAddress, err: err.message }, 'proxy protocol header refused');
        sock.destroy();
      },
    );
  });
  return peers;
}
