// The composed gateway: a device's QoS 1 publish is in Kafka byte for byte before its PUBACK,
// the buyer gets it live, and the buyer's replay request over MQTT reaches the bridge through
// the broker, with live and replayed entries drawn from one paid count.
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqtt, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let buyer: Account;
let sensor: string;
const prefix = `${unique('gwt')}.`;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  ({ sensor } = await market.sensor(seller));
  await market.subscribe(buyer, sensor, 5);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, topicPrefix: prefix });
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

async function readTopic(topic: string, n: number): Promise<Buffer[]> {
  const kafka = new Kafka({ brokers: svc.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  assert.is(offsets[0]!.high, String(n), 'entries in Kafka');
  const consumer = kafka.consumer({ groupId: unique('g') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Buffer[] = [];
  await new Promise<void>(
    (resolve) =>
      void consumer.run({ eachMessage: async ({ message }) => void (got.push(message.value!) === n && resolve()) }),
  );
  await consumer.disconnect();
  return got;
}

test('publish -> Kafka (before PUBACK) -> live buyer -> replay over MQTT, one paid count', async () => {
  const url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  const dev = await connectMqtt(url, {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  });
  const buy = await connectMqtt(url, {
    clientId: buyer.principal,
    username: buyer.principal,
    password: (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
  });
  assert.equal([dev.returnCode, buy.returnCode], [0, 0]);
  const live: Buffer[] = [];
  const replay: Buffer[] = [];
  buy.client.on('message', (topic, payload) => (topic === sensorTopic(sensor) ? live : replay).push(payload));
  await buy.client.subscribeAsync([sensorTopic(sensor), `buyers/${buyer.principal}/replay/r1`], { qos: 1 });

  const sent = [0, 1, 2].map((i) => Buffer.from([0xde, 0xad, i, 0xff, 0x00]));
  for (const p of sent) await dev.client.publishAsync(sensorTopic(sensor), p, { qos: 1 });
  const inKafka = await readTopic(`${prefix}${sensor}`, 3);
  assert.equal(
    inKafka.map((b) => b.toString('hex')),
    sent.map((b) => b.toString('hex')),
  );
  for (let i = 0; i < 50 && live.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(
    live.map((b) => b.toString('hex')),
    sent.map((b) => b.toString('hex')),
  );

  // 5 paid, 3 delivered live: the replay of all 3 stored entries may deliver only 2.
  await buy.client.publishAsync(
    `buyers/${buyer.principal}/replay/request`,
    JSON.stringify({ id: 'r1', sensor, from: { offset: 0 } }),
    { qos: 1 },
  );
  for (let i = 0; i < 100 && !replay.some((m) => m[0] === 0x7b && JSON.parse(m.toString()).type === 'end'); i++)
    await new Promise((r) => setTimeout(r, 100));
  const entries = replay.filter((m) => m[0] === 0x01).map((m) => m.subarray(21).toString('hex'));
  const end = replay.map((m) => (m[0] === 0x7b ? JSON.parse(m.toString()) : undefined)).find((c) => c?.type === 'end');
  assert.equal(
    entries,
    sent.slice(0, 2).map((b) => b.toString('hex')),
  );
  assert.is(end.reason, 'paid-limit');
  // The replay's end came over the same bus after the live entries: a late extra one is here by now.
  assert.is(live.length, 3, 'exactly the 3 live entries');
  assert.is(await gw.meter.remaining(buyer.principal, sensor), 0);
  await dev.client.endAsync();
  await buy.client.endAsync();
});

test('a replay through the broker keeps Kafka order across windows', async () => {
  const reader = await market.principal('reader');
  await market.subscribe(reader, sensor, 1000);
  const url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  const dev = await connectMqtt(url, {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  });
  await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      dev.client.publishAsync(sensorTopic(sensor), Buffer.from(`entry-${i}`), { qos: 1 }),
    ),
  );
  await dev.client.endAsync();
  const buy = await connectMqtt(url, {
    clientId: reader.principal,
    username: reader.principal,
    password: (await gw.tokens.issuePrincipal(reader.principal, reader.wallet.address, 600)).token,
  });
  const base = `buyers/${reader.principal}/replay/big`;
  await buy.client.subscribeAsync(base, { qos: 1 });
  const offsets: number[] = [];
  const seqs: number[] = [];
  let end: { type: string; reason: string } | undefined;
  buy.client.on('message', (_t, m) => {
    if (m[0] === 0x7b) {
      const c = JSON.parse(m.toString());
      if (c.type === 'end') end = c;
      return;
    }
    seqs.push(m.readUInt32BE(1));
    offsets.push(Number(m.readBigUInt64BE(5)));
    if (seqs.at(-1)! % 50 === 0)
      void buy.client.publishAsync(`${base}/ack`, JSON.stringify({ ack: seqs.at(-1) }), { qos: 1 });
  });
  await buy.client.publishAsync(
    `buyers/${reader.principal}/replay/request`,
    JSON.stringify({ id: 'big', sensor, from: { offset: 0 }, window: 100 }),
    { qos: 1 },
  );
  for (let i = 0; i < 200 && !end; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is(end?.reason, 'caught-up');
  // the 3 entries of the first test, then these 300, each once and in order
  assert.equal(
    offsets,
    Array.from({ length: 303 }, (_, i) => i),
  );
  assert.equal(
    seqs,
    Array.from({ length: 303 }, (_, i) => i + 1),
  );
  await buy.client.endAsync();
});

test.run();
