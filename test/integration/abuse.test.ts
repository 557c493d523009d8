// Abuse limits under fire: oversized payloads, packets announcing 100 MB, topics deeper than
// broker.limits.maxTopicLevels, a CONNECT flood from one address and a device over its publish
// rate, all at once, while a well-behaved device keeps publishing to a buyer. Each refusal is
// what docs/operations.md says and is counted; the broker keeps serving the good pair throughout.
import { connect, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqttFrom, end, publishAck, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const MAX_PAYLOAD = 1024;
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let buyer: Account;
let good: string;
let noisy: string;
let fast: string;
let deep: string;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  good = (await market.sensor(seller)).sensor;
  noisy = (await market.sensor(seller)).sensor;
  fast = (await market.sensor(seller)).sensor;
  deep = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, good, 10_000);
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    broker: {
      limits: {
        maxPayloadBytes: MAX_PAYLOAD,
        maxTopicLevels: 8,
        connectRate: { perSec: 2, burst: 5 },
        publishRate: { perSec: 50, burst: 20 },
      },
    },
  });
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

async function device(sensor: string, from: string): Promise<MqttClient> {
  const c = await connectMqttFrom(from, gw.mqtt.tcp!, {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  });
  assert.is(c.returnCode, 0, `device from ${from}`);
  c.client.setMaxListeners(0);
  return c.client;
}

async function principal(from: string, suffix: string): Promise<MqttClient> {
  const token = (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const c = await connectMqttFrom(from, gw.mqtt.tcp!, {
    clientId: `${buyer.principal}:${suffix}`,
    username: buyer.principal,
    password: token,
  });
  assert.is(c.returnCode, 0);
  return c.client;
}

function closed(sock: Socket): Promise<void> {
  return new Promise((r) => (sock.destroyed ? r() : sock.once('close', () => r())));
}

async function oversizedPayloads(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      await publishAck(await device(noisy, `127.0.1.${i + 1}`), sensorTopic(noisy), Buffer.alloc(2 * MAX_PAYLOAD, 1)),
    );
  return out;
}

async function hugePackets(n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const sock = connect({ host: '127.0.0.1', port: gw.mqtt.tcp!, localAddress: `127.0.2.${i + 1}` });
      sock.on('error', () => undefined);
      // PUBLISH with Remaining Length 100,000,000 [MQTT-2.2.3], then a trickle of body.
      sock.write(Buffer.from([0x30, 0x80, 0xc2, 0xd7, 0x2f, 0x00, 0x01, 0x61]));
      await closed(sock);
    }),
  );
}

async function deepTopics(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await publishAck(await device(deep, `127.0.3.${i + 1}`), `sensors/${deep}/1/2/3/4/5/6/7`, 'x'));
    const p = await principal(`127.0.4.${i + 1}`, `deep${i}`);
    const gone = new Promise<string>((r) => p.once('close', () => r('closed')));
    p.subscribe(`buyers/${buyer.principal}/1/2/3/4/5/6/7`, { qos: 1 });
    out.push(await gone);
  }
  return out;
}

async function connectFlood(n: number): Promise<number[]> {
  const codes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      connectMqttFrom('127.0.5.1', gw.mqtt.tcp!, { clientId: `flood-${i}`, username: 'x', password: 'y' }),
    ),
  );
  await end(...codes.map((c) => c.client));
  return codes.map((c) => c.returnCode);
}

async function overRate(n: number): Promise<string[]> {
  const dev = await device(fast, '127.0.6.1');
  return Promise.all(Array.from({ length: n }, (_, i) => publishAck(dev, sensorTopic(fast), `f${i}`)));
}

/**
 * SUBSCRIBE until granted, again only after a refusal the gateway calls transient: its notice
 * carries the code of what it could not reach (docs/broker.md; the first subscriber to a sensor
 * makes its Kafka topic, which a loaded Kafka may not finish in time: CI, 2026-12-03). A
 * definitive refusal fails the test at once.
 */
async function subscribeGranted(client: MqttClient, topic: string): Promise<void> {
  const notices: { type: string; code?: string }[] = [];
  client.on('message', (t, p) => t.endsWith('/notices') && notices.push(JSON.parse(p.toString())));
  assert.equal(await subscribeAck(client, [`buyers/${buyer.principal}/notices`]), [1]);
  for (let attempt = 1; ; attempt++) {
    if ((await subscribeAck(client, [topic]))[0] === 1) return;
    const n = await waitFor('the refusal notice', () => notices.shift());
    assert.ok(n.type === 'subscribe-refused' && n.code && attempt < 5, `refused: ${JSON.stringify(n)}`);
  }
}

test('every abuse is refused and counted while a well-behaved device keeps being served', async () => {
  const before = await scrape(gw.operatorPort!);
  const buy = await principal('127.0.0.1', 'good');
  const received: string[] = [];
  buy.on('message', (t, p) => t === sensorTopic(good) && received.push(p.toString()));
  await subscribeGranted(buy, sensorTopic(good));
  const dev = await device(good, '127.0.0.1');
  let goodClosed = false;
  dev.on('close', () => (goodClosed = true));
  const sent: string[] = [];
  let stop = false;
  const goodLoop = (async () => {
    // At least 20, and on until every abuse is over.
    for (let i = 0; !stop || i < 20; i++) {
      assert.is(await publishAck(dev, sensorTopic(good), `g${i}`), 'acked', `good publish ${i}`);
      sent.push(`g${i}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  })();

  const step = <T>(name: string, p: Promise<T>) =>
    p.catch((err: unknown) => Promise.reject(new Error(`${name}: ${(err as Error).message}`)));
  const [payloads, , deepOnes, flood, rate] = await Promise.all([
    step('oversized payloads', oversizedPayloads(10)),
    step('huge packets', hugePackets(20)),
    step('deep topics', deepTopics(10)),
    step('connect flood', connectFlood(40)),
    step('publish rate', overRate(100)),
  ]);
  stop = true;
  await goodLoop;
  await waitFor('every good entry at the buyer', () => received.length === sent.length);

  assert.equal(payloads, Array(10).fill('closed'), 'oversized payload: no PUBACK, connection closed');
  assert.equal(deepOnes, Array(20).fill('closed'), 'deep topic: connection closed');
  assert.ok(flood.filter((c) => c === 3).length >= 30, `CONNACK 3 for the flood beyond the burst: ${flood.join(',')}`);
  assert.ok(
    flood.every((c) => c === 3 || c === 4),
    'the rest reached the token check (4: bad token)',
  );
  const acked = rate.filter((r) => r === 'acked').length;
  assert.ok(acked >= 20 && acked < 100, `over the publish rate: ${acked} of 100 acknowledged`);
  assert.is(rate.lastIndexOf('acked'), acked - 1, 'acknowledged ones are a prefix: nothing after a refusal');

  assert.not.ok(goodClosed, 'the good device stayed connected');
  assert.equal(received, sent, 'the buyer got every good entry, in order');

  console.log(
    `good: ${sent.length} published and received; flood: ${flood.filter((c) => c === 3).length} of 40 got ` +
      `CONNACK 3; publish rate: ${acked} of 100 acknowledged`,
  );
  const after = await scrape(gw.operatorPort!);
  const delta = (name: string, labels: Record<string, string | number>) =>
    sample(after, name, labels) - sample(before, name, labels);
  assert.is(delta('itrade_broker_publish_refused_total', { reason: 'payload_too_large' }), 10);
  assert.is(delta('itrade_broker_connection_errors_total', { reason: 'packet_too_large' }), 20);
  assert.is(delta('itrade_broker_connection_errors_total', { reason: 'topic_too_deep' }), 20);
  assert.is(
    delta('itrade_broker_connect_refused_total', { reason: 'limit_connect_rate', connack: 3 }),
    flood.filter((c) => c === 3).length,
  );
  assert.ok(delta('itrade_broker_publish_refused_total', { reason: 'publish_rate' }) >= 1);
  await end(dev, buy);
});

test.run();
