// The test plays a load balancer that speaks the PROXY protocol (haproxy's proxy-protocol.txt):
// real v1 and v2 headers carrying a device's IPv4 address, written first on the balancer's
// connection, and an MQTT client whose CONNACK or close is awaited. Used by the PROXY protocol
// tests of every listener and the country tests, which judge the device address the header carries,
// and (Balancer) by the test of a device that reconnects to another instance.
import { createConnection, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Connected } from './gateway.ts';

/** A PROXY v1 header: TCP4 from `src` to the listener. */
export const proxyV1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 51000 1883\r\n`);

/** A PROXY v2 header: the signature, PROXY over TCP4, then `src`:51000 -> 127.0.0.1:1883. */
export const proxyV2 = (src: string) =>
  Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex'), // signature, v2 PROXY, TCP over IPv4, 12 bytes
    Buffer.from(src.split('.').map(Number)),
    Buffer.from([127, 0, 0, 1, 0xc7, 0x38, 0x07, 0x53]), // destination 127.0.0.1, ports 51000 and 1875
  ]);

/** A TCP connection to the gateway from `localAddress` (127.0.0.1 plays the trusted balancer). */
export function balancerSocket(port: number, localAddress = '127.0.0.1'): Socket {
  return createConnection({ host: '127.0.0.1', port, localAddress });
}

/**
 * The connection as a stream whose first write goes out with `header` in front, in one write, as
 * a balancer sends the header and the client's first bytes (the TLS ClientHello) back to back.
 * While `deaf()` is true, what the gateway sends is dropped on the way (replies lost on the link).
 */
export function headerFirst(raw: Socket, header: Buffer | undefined, deaf = () => false): Duplex {
  let first = header !== undefined;
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      raw.write(first ? Buffer.concat([header!, chunk]) : chunk, cb);
      first = false;
    },
    read() {
      raw.resume();
    },
    final(cb) {
      raw.end(cb);
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (c: Buffer) => {
    if (!deaf() && !d.push(c)) raw.pause();
  });
  raw.on('end', () => d.push(null));
  raw.on('error', (e) => d.destroy(e));
  raw.on('close', () => d.destroy());
  return d;
}

/** The CONNACK of a client that never reconnects, or 'closed' when the link ends before one. */
export function connackOrClose(client: MqttClient): Promise<Connected | 'closed'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CONNACK or close within 15 s')), 15_000);
    client.on('error', () => undefined);
    client.on('packetreceive', (p) => {
      if (p.cmd !== 'connack') return;
      clearTimeout(timer);
      resolve({ client, returnCode: p.returnCode ?? 0, sessionPresent: p.sessionPresent });
    });
    client.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

/**
 * An MQTT client behind the "balancer" on the TCP listener: the header (if any) goes first on the
 * same connection. Resolves with the CONNACK, or 'closed' when the broker drops the connection first.
 */
export function viaBalancer(
  port: number,
  header: Buffer | undefined,
  opts: IClientOptions,
): Promise<Connected | 'closed'> {
  const client = new mqtt.MqttClient(
    () => {
      const s = balancerSocket(port);
      if (header) s.write(header);
      return s;
    },
    { protocolVersion: 4, reconnectPeriod: 0, ...opts },
  );
  return connackOrClose(client);
}

/**
 * A balancer in front of several gateway instances, for one MQTT client (its `stream` is the
 * client's stream builder): connection i goes to `ports[i]`, the last port again once they run
 * out. After `loseReplies()` what the current connection receives is dropped (its PUBACKs are
 * lost, as on a link that is dying; `lostBytes` counts them) until `hearReplies()`, or until
 * `cut()` closes it and the client connects anew.
 */
export class Balancer {
  connections = 0;
  lostBytes = 0;
  private raw: Socket | undefined;
  private deaf = false;

  constructor(private readonly ports: readonly number[]) {}

  readonly stream = (): Duplex => {
    const port = this.ports[Math.min(this.connections++, this.ports.length - 1)]!;
    const raw = createConnection({ host: '127.0.0.1', port });
    this.raw = raw;
    this.deaf = false;
    raw.on('data', (c: Buffer) => {
      if (this.deaf && this.raw === raw) this.lostBytes += c.length;
    });
    return headerFirst(raw, undefined, () => this.deaf && this.raw === raw);
  };

  loseReplies(): void {
    this.deaf = true;
    this.lostBytes = 0;
  }

  hearReplies(): void {
    this.deaf = false;
  }

  cut(): void {
    this.raw?.destroy();
  }
}
