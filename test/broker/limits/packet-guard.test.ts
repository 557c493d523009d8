// The guard against oversized packets on a real (in-memory) Aedes: a packet whose header
// announces more than the bound closes the connection before its body is buffered; packets
// within the bound are untouched. Also fails if mqtt-packet's parser internals change.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guardPacketLength } from '../../../broker/limits/packet-guard.ts';
import { isItradeError } from '../../../protocol/errors.ts';

const MAX = 1024;
const errors: Error[] = [];
let broker: Aedes;
let server: ReturnType<typeof createServer>;
let port: number;

test.before(async () => {
  broker = await Aedes.createBroker();
  broker.on('clientError', (_c, err) => errors.push(err));
  broker.on('connectionError', (_c, err) => errors.push(err));
  server = createServer((sock) => guardPacketLength(broker.handle(sock) as never, MAX));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

test.after(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise((r) => server.close(r));
});

function closedWithin(sock: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    sock.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

test('a header announcing 100 MB closes the connection at once', async () => {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise((r) => sock.once('connect', r));
  // PUBLISH, QoS 0, Remaining Length 100,000,000 as a variable byte integer [MQTT-2.2.3].
  sock.write(Buffer.from([0x30, 0x80, 0xc2, 0xd7, 0x2f, 0x00, 0x01, 0x61]));
  assert.ok(await closedWithin(sock, 5000), 'still open');
  const err = errors.find((e) => isItradeError(e, 'LIMIT_PACKET_TOO_LARGE'));
  assert.ok(err, 'no LIMIT_PACKET_TOO_LARGE reported');
  assert.match(err!.message, /publish of 100000000 bytes; at most 1024/);
});

test('packets within the bound pass untouched', async () => {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 4 });
  const got = new Promise<Buffer>((r) => client.once('message', (_t, p) => r(p)));
  await client.subscribeAsync('t', { qos: 1 });
  await client.publishAsync('t', Buffer.alloc(MAX - 100, 7), { qos: 1 });
  assert.is((await got).length, MAX - 100);
  await client.endAsync();
});

test.run();
