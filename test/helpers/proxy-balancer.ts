// The test as a load balancer in front of the MQTT TCP listener: it opens the TCP connection
// itself and writes a PROXY protocol header (haproxy's proxy-protocol.txt, v1 text or v2 binary)
// before the client's CONNECT, as a balancer at 127.0.0.1 would. Used by the PROXY protocol and
// the country tests, which judge the device address the header carries.
import { createConnection } from 'node:net';
import mqtt, { type IClientOptions } from 'mqtt';
import type { Connected } from './gateway.ts';

/**
 * An MQTT client behind the "balancer": the header (if any) goes first on the same TCP
 * connection. Resolves with the CONNACK, or 'closed' when the broker drops the connection first.
 */
export function viaBalancer(
  port: number,
  header: Buffer | undefined,
  opts: IClientOptions,
): Promise<Connected | 'closed'> {
  const client = new mqtt.MqttClient(
    () => {
      const s = createConnection({ host: '127.0.0.1', port });
      if (header) s.write(header);
      return s;
    },
    { protocolVersion: 4, reconnectPeriod: 0, ...opts },
  );
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

/** A PROXY v1 header: TCP4 from `src` to the listener. */
export const proxyV1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 51000 1883\r\n`);

/** A PROXY v2 header: the signature, PROXY over TCP4, then `src`:51000 -> 127.0.0.1:1883. */
export const proxyV2 = (src: string) =>
  Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex'),
    Buffer.from(src.split('.').map(Number)),
    Buffer.from([127, 0, 0, 1, 0xc7, 0x38, 0x07, 0x53]),
  ]);
