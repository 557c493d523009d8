// What docs/broker.md promises about the protocol itself, on the real gateway: QoS 2 publishes are
// accepted (PUBREC/PUBCOMP) and delivered to a QoS 2 subscriber, an MQTT 5 CONNECT is refused with
// CONNACK return code 1, and a client silent for 1.5 x its keepalive is disconnected.
import { createConnection, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqtt, end, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

let market: Market;
let gw: GatewayHandle;
let url: string;
let seller: Account;
let buyer: Account;
let sensor: string;

test.before(async () => {
  market = await Market.deploy(services().rpcUrl);
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    keyPrefix: `${unique('proto')}:`,
  });
  url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  sensor = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, sensor, 100);
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

/** A raw TCP client: sends packets, collects what the broker answers, records when it closed. */
function rawClient(): Promise<{ socket: Socket; packets: Packet[]; closedAt: () => number | undefined }> {
  return new Promise((resolve, reject) => {
    const packets: Packet[] = [];
    let closedAt: number | undefined;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => packets.push(p));
    const socket = createConnection({ host: '127.0.0.1', port: gw.mqtt.tcp! }, () =>
      resolve({ socket, packets, closedAt: () => closedAt }),
    );
    socket.on('data', (d) => parser.parse(d));
    socket.on('close', () => (closedAt = Date.now()));
    socket.on('error', reject);
  });
}

test('QoS 2: a device publish completes (PUBREC, PUBCOMP); a QoS 2 sensor subscriber gets it with QoS 1', async () => {
  const dev = await connectMqtt(url, {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  });
  const token = (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const b = await connectMqtt(url, { clientId: buyer.principal, username: buyer.principal, password: token });
  assert.equal([dev.returnCode, b.returnCode], [0, 0]);
  const got: Packet[] = [];
  b.client.on('packetreceive', (p: Packet) => void (p.cmd === 'publish' && got.push(p)));
  // aedes grants what was asked whatever authorizeSubscribe returns; delivery from the log is at
  // most QoS 1 (at least once, made exact by the cursor): a known limit (docs/broker.md).
  assert.equal(await subscribeAck(b.client, [`sensors/${sensor}`], 2 as 1), [2], 'QoS 2 granted');
  const acks: string[] = [];
  dev.client.on('packetreceive', (p: Packet) => void acks.push(p.cmd));
  await dev.client.publishAsync(`sensors/${sensor}`, Buffer.from([1, 2, 3]), { qos: 2 });
  assert.ok(acks.includes('pubrec') && acks.includes('pubcomp'), `the broker answered ${acks.join(', ')}`);
  await waitFor('the delivery', () => got.length === 1);
  assert.is((got[0] as { qos: number }).qos, 1);
  assert.equal([...(got[0] as { payload: Buffer }).payload], [1, 2, 3]);
  await end(dev.client, b.client);
});

test('an MQTT 5 CONNECT is refused with CONNACK return code 1 (unacceptable protocol version)', async () => {
  const c = await rawClient();
  const connect = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    clean: true,
    clientId: 'v5',
    keepalive: 30,
  };
  c.socket.write(mqttPacket.generate(connect as Packet, { protocolVersion: 5 }));
  await waitFor('the CONNACK', () => c.packets.length > 0);
  assert.is(c.packets[0]!.cmd, 'connack');
  assert.is((c.packets[0] as { returnCode: number }).returnCode, 1);
  await waitFor('the close', () => c.closedAt() !== undefined);
});

test('keepalive: a connection silent for 1.5 x its keepalive is closed, not before', async () => {
  const c = await rawClient();
  const token = (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const connect = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: `${buyer.principal}:ka`,
    username: buyer.principal,
    password: Buffer.from(token),
    keepalive: 1,
  };
  const t0 = Date.now();
  c.socket.write(mqttPacket.generate(connect as Packet));
  await waitFor('the CONNACK', () => c.packets.length > 0);
  assert.is((c.packets[0] as { returnCode: number }).returnCode, 0);
  // No PINGREQ, nothing else: the broker must close the connection by itself.
  await waitFor('the broker closing the silent connection', () => c.closedAt() !== undefined, 15_000);
  // A busy machine can only make it later, never earlier: 1.5 x 1 s [MQTT-3.1.2-24].
  assert.ok(c.closedAt()! - t0 >= 1500, `closed after ${c.closedAt()! - t0} ms`);
});

test.run();
