// The test plays a load balancer that speaks the PROXY protocol: real v1 and v2 headers carrying a
// device's IPv4 address, written first on the balancer's connection, and an MQTT client whose
// CONNACK or close is awaited.
import { createConnection, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import type { Connected } from './gateway.ts';

export const proxyV1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 51000 1883\r\n`);

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
 */
export function headerFirst(raw: Socket, header: Buffer | undefined): Duplex {
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
    if (!d.push(c)) raw.pause();
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
