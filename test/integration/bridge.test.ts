// The bridge on the real Kafka: sensor topics created at activation with the configured
// settings; concurrent publishes of many sensors keep each sensor's order and exact bytes,
// keyed by the sensor address (checked with an independent kafkajs consumer and through
// replay); replay from a timestamp returns exactly the entries at and after it, never more
// than paid; no subscription, no replay.
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createKafkaBridge, type Bridge } from '../../bridge/bridge.ts';
import { validateConfig } from '../../config/load.ts';
import { buyerTopic } from '../../protocol/topics.ts';
import { createHttpServer } from '../../http/server.ts';
import { createLogger } from '../../lib/log.ts';
import { FakeChannel, FakeEntitlements, FakeMeter, address, publish, replayBuyer } from '../helpers/bridge-fakes.ts';
import { services, unique } from '../helpers/services.ts';

// kafkajs is CommonJS; Node's named-export detection stops before ConfigResourceTypes.
const { ConfigResourceTypes } = kafkajs;
const svc = services();
const prefix = `${unique('itb')}.`;
const cfg = validateConfig(
  {
    kafka: { brokers: svc.kafkaBrokers },
    bridge: { topicPrefix: prefix, topic: { retentionMs: 7 * 24 * 3600 * 1000 } },
  },
  'test',
);
const entitlements = new FakeEntitlements();
const meter = new FakeMeter();
const channel = new FakeChannel();
const bridge: Bridge = createKafkaBridge(cfg, svc.kafkaBrokers, {
  entitlements,
  meter,
  channel,
  registry: new Registry(),
  log: createLogger({ level: 'silent' }),
});
const kafka = new Kafka({ brokers: svc.kafkaBrokers, clientId: unique('itb-check'), logLevel: logLevel.NOTHING });
const admin = kafka.admin();

test.before(() => admin.connect());
test.after(async () => {
  await bridge.close();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

test('activation creates the sensor topic named by its address, with the configured settings', async () => {
  const sensor = address();
  await bridge.onSensorActivated(sensor);
  await bridge.onSensorActivated(sensor); // again: harmless
  const md = await admin.fetchTopicMetadata({ topics: [prefix + sensor] });
  assert.is(md.topics[0]!.partitions.length, 1);
  const conf = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: prefix + sensor, configNames: ['retention.ms', 'min.insync.replicas'] },
    ],
  });
  const entries = Object.fromEntries(conf.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
  assert.equal(entries, { 'retention.ms': String(7 * 24 * 3600 * 1000), 'min.insync.replicas': '1' });
});

test("concurrent publishes of many sensors: each sensor's order and exact bytes are in its topic", async () => {
  const sensors = Array.from({ length: 6 }, address);
  for (const s of sensors) await bridge.onSensorActivated(s);
  const sent = new Map(sensors.map((s) => [s, [] as Buffer[]]));
  const all: Promise<void>[] = [];
  for (let i = 0; i < 1800; i++) {
    const s = sensors[i % sensors.length]!;
    const payload = Buffer.concat([Buffer.from([i >> 8, i & 255]), randomBytes(i % 150)]);
    sent.get(s)!.push(payload);
    all.push(bridge.onPublish(publish(s, payload, i % 3 === 0 ? 0 : 1)));
  }
  await Promise.all(all);

  // Read back with a plain kafkajs consumer, independent of the bridge's own reader.
  const consumer = kafka.consumer({ groupId: unique('itb-g') });
  const got = new Map(sensors.map((s) => [s, [] as Buffer[]]));
  await consumer.connect();
  await consumer.subscribe({ topics: sensors.map((s) => prefix + s), fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`consumed ${n} of 1800`)), 60_000);
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const s = topic.slice(prefix.length);
        assert.is(message.key?.toString(), s);
        got.get(s)!.push(message.value!);
        if (++n === 1800) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  for (const s of sensors) {
    assert.is(got.get(s)!.length, 300);
    got.get(s)!.forEach((v, i) => assert.ok(v.equals(sent.get(s)![i]!), `${s} entry ${i} differs or is out of order`));
  }
});

test('replay from a timestamp: exactly the entries from it on, bytes untouched, never more than paid', async () => {
  const sensor = address();
  const buyer = address();
  await bridge.onSensorActivated(sensor);
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const payloads = Array.from({ length: 30 }, () => randomBytes(64));
  await Promise.all(payloads.map((p, i) => bridge.onPublish(publish(sensor, p, 1, t0 + i * 1000))));
  entitlements.grant(buyer, sensor, t0 / 1000 + 5, 20);
  meter.pay(buyer, sensor, 20);

  const a = replayBuyer(channel, bridge, buyer, 'a', 4);
  await bridge.onBuyerMessage(
    buyer,
    buyerTopic(buyer, 'replay', 'request'),
    Buffer.from(JSON.stringify({ id: 'a', sensor, from: { timestamp: t0 + 21_000 }, window: 8 })),
  );
  const first = await a;
  assert.equal(
    first.entries.map((e) => e.offset),
    [21, 22, 23, 24, 25, 26, 27, 28, 29],
  );
  assert.equal(
    first.entries.map((e) => e.timestamp),
    Array.from({ length: 9 }, (_, i) => t0 + (21 + i) * 1000),
  );
  first.entries.forEach((e, i) =>
    assert.ok(Buffer.from(e.payload).equals(payloads[21 + i]!), `entry ${21 + i} bytes differ`),
  );
  assert.equal(first.controls.at(-1), { type: 'end', id: 'a', reason: 'caught-up', sent: 9, next: 30 });

  // 11 paid entries left; from the subscription start (offset 5) there are 25.
  const b = replayBuyer(channel, bridge, buyer, 'b', 5);
  await bridge.onBuyerMessage(
    buyer,
    buyerTopic(buyer, 'replay', 'request'),
    Buffer.from(JSON.stringify({ id: 'b', sensor, window: 5 })),
  );
  const second = await b;
  assert.equal(
    second.entries.map((e) => e.offset),
    Array.from({ length: 11 }, (_, i) => 5 + i),
  );
  assert.equal(second.controls.at(-1), { type: 'end', id: 'b', reason: 'paid-limit', sent: 11, next: 16 });
  assert.is(await meter.remaining(buyer, sensor), 0);
});

test('a replay request without a subscription is refused and sends nothing from the topic', async () => {
  const sensor = address();
  const buyer = address();
  await bridge.onSensorActivated(sensor);
  await bridge.onPublish(publish(sensor, Buffer.from('secret'), 1));
  meter.pay(buyer, sensor, 100);
  const r = replayBuyer(channel, bridge, buyer, 'x');
  await bridge.onBuyerMessage(
    buyer,
    buyerTopic(buyer, 'replay', 'request'),
    Buffer.from(JSON.stringify({ id: 'x', sensor })),
  );
  const out = await r;
  assert.equal(out.entries, []);
  assert.equal(
    out.controls.map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_NOT_SUBSCRIBED'],
  );
  assert.is(await meter.remaining(buyer, sensor), 100);
});

test('HTTP NDJSON history from Kafka: same bytes, same entitlement', async () => {
  const sensor = address();
  const buyer = address();
  await bridge.onSensorActivated(sensor);
  const payloads = Array.from({ length: 12 }, () => randomBytes(40));
  const t0 = Date.now() - 100_000;
  for (const [i, p] of payloads.entries()) await bridge.onPublish(publish(sensor, p, 1, t0 + i * 1000));
  entitlements.grant(buyer, sensor, Math.ceil((t0 + 2000) / 1000), 100);
  meter.pay(buyer, sensor, 100);
  const app = createHttpServer({ log: createLogger({ level: 'silent' }) });
  await app.register(bridge.httpRoutes(async (req) => String(req.headers['x-buyer'])));
  const res = await app.inject({
    url: `/v1/sensors/${sensor}/history?from=${t0 + 6000}`,
    headers: { 'x-buyer': buyer },
  });
  const lines = res.body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { offset?: number; payload?: string; end?: unknown });
  assert.equal(
    lines.map((l) => l.offset ?? 'end'),
    [6, 7, 8, 9, 10, 11, 'end'],
  );
  lines.slice(0, -1).forEach((l) => assert.ok(Buffer.from(l.payload!, 'base64').equals(payloads[l.offset!]!)));
  const refused = await app.inject({ url: `/v1/sensors/${sensor}/history`, headers: { 'x-buyer': address() } });
  assert.is(refused.statusCode, 403);
  await app.close();
});

test.run();
