// The paper's promise (III.B.3-5) through the real authenticated gateway, real Redis, Kafka and
// anvil: a device seals readings, entitled buyers get the sensor key from the seller's agent
// (wrapped for their on-chain RSA key) and decrypt exactly what was sent, live and replayed;
// nothing the gateway stores holds a reading or a key; unentitled buyers never get a wrapped key;
// a tampered envelope is rejected; after a rotation an expired buyer cannot read new entries.
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import { SimBuyer, type BuyerReading } from '../../firmware-sim/buyer.ts';
import { ReadingGenerator } from '../../firmware-sim/readings.ts';
import { encodeReading, type Reading } from '../../sdk/crypto/reading.ts';
import { SimDevice } from '../../firmware-sim/device.ts';
import type { KeyAgent } from '../../sdk/node.ts';
import { login, sellerPublicKey } from '../../participant/market-ops.ts';
import type { Profile } from '../../participant/profile.ts';
import { isItradeError, type ErrorName } from '../../protocol/errors.ts';
import { waitFor } from '../helpers/gateway.ts';
import { kafkaRecords, redisDump } from '../helpers/dump.ts';
import { findSecret } from '../helpers/secrets.ts';
import { services } from '../helpers/services.ts';
import { agent, buyer, seller, startMarket, type SellerSetup, type SimMarket } from '../helpers/sim-market.ts';

let m: SimMarket;
let s: SellerSetup;
let keyAgent: KeyAgent;
let device: SimDevice;
let S1: string;
let S2: string;
const p: Record<'b1' | 'b2' | 'b3' | 'b4', Profile> = {} as never;
const buyers: SimBuyer[] = [];
const received = new Map<string, BuyerReading[]>(); // per buyer principal
const sent: Reading[] = []; // every genuine reading of S1, in order
const published: Buffer[] = []; // every payload published on S1, in order (tampered ones too)
const gen = new ReadingGenerator(0, { seed: 7 });
const redis = new Redis(services().redisUrl, { lazyConnect: true });

async function connect(profile: Profile, sensors: [string, number][]): Promise<SimBuyer> {
  const b = await SimBuyer.connect({
    url: m.mqttUrl,
    buyer: profile.principal(),
    token: await login(m.ctx, profile),
    rsaKeyFile: profile.principalKeyFile,
    keysDir: profile.buyerKeys().dir,
    sensors: new Map(sensors),
    sellerPublicKey: (x) => sellerPublicKey(m.ctx, x),
    keepSeqs: true,
    onReading: (r) => received.set(r.buyer, [...(received.get(r.buyer) ?? []), r]),
  });
  buyers.push(b);
  return b;
}

async function publishReadings(n: number): Promise<void> {
  const before = device.stats.acked;
  for (let i = 0; i < n; i++) {
    const r = gen.next();
    sent.push(r);
    device.publish(r);
  }
  await waitFor('PUBACKs', () => device.stats.acked === before + n);
}

async function publishRaw(payload: Buffer): Promise<void> {
  published.push(payload);
  await device.client.publishAsync(sensorTopic(S1), payload, { qos: 1 });
}

async function rejects(p: Promise<unknown>, code: ErrorName): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isItradeError(err, code), `expected ${code}, got ${String(err)}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const live = (b: SimBuyer) => (received.get(b.buyer) ?? []).filter((r) => r.source === 'live');

test.before(async () => {
  await redis.connect();
  m = await startMarket();
  s = await seller(m, 'seller', [0, 1]);
  [S1, S2] = s.sensors.map((x) => x.sensor) as [string, string];
  p.b1 = await buyer(m, 'b1', [[S1, 1000]]);
  p.b2 = await buyer(m, 'b2', [[S1, 5]]); // runs out after 5 entries
  p.b3 = await buyer(m, 'b3', [[S2, 100]]); // another sensor's subscription
  p.b4 = await buyer(m, 'b4', []); // no subscription
  keyAgent = await agent(m, s);
  device = await SimDevice.connect({
    url: m.mqttUrl,
    sensor: S1,
    token: s.sensors[0]!.token,
    keysDir: s.keys.dir,
    sensorType: 0,
    rateHz: 1,
    onAcked: (_r, env) => published.push(Buffer.from(env)),
  });
  // A persistent session of b1 that is offline: its entries wait in Kafka, at its cursor.
  const offline = await mqtt.connectAsync(m.mqttUrl, {
    protocolVersion: 4,
    clean: false,
    clientId: `${p.b1.principal()}:offline`,
    username: p.b1.principal(),
    password: await login(m.ctx, p.b1),
  });
  await offline.subscribeAsync(sensorTopic(S1), { qos: 1 });
  await offline.endAsync();
});

test.after(async () => {
  for (const b of buyers) await b.close().catch(() => undefined);
  await device?.stop(1000).catch(() => undefined);
  await keyAgent?.stop().catch(() => undefined);
  await m?.close();
  redis.disconnect();
});

test('a buyer decrypts exactly what the device sent, live and replayed', async () => {
  const b1 = await connect(p.b1, [[S1, 0]]);
  assert.equal(await b1.fetchKeys(S1), [1]);
  await b1.subscribeLive();
  await publishReadings(10);
  await waitFor('10 live readings at b1', () => live(b1).length === 10);
  assert.equal(
    live(b1).map((r) => r.reading),
    sent,
  );
  assert.equal(
    live(b1).map((r) => Buffer.from(r.envelope).toString('hex')),
    published.map((x) => x.toString('hex')),
    'the bytes the device published',
  );

  const outcome = await b1.replay(S1, { from: { offset: 0 } });
  assert.is(outcome.reason, 'caught-up');
  const replayed = received.get(b1.buyer)!.filter((r) => r.source === 'replay');
  assert.equal(
    replayed.map((r) => r.reading),
    sent,
  );
  assert.is(b1.checks.live.get(S1)!.totals.gaps + b1.checks.replay.get(S1)!.failures, 0);
});

test('a tampered envelope, or one of another sensor, is rejected; the stream goes on', async () => {
  const b1 = buyers[0]!;
  const genuine = await s.keys.get(S1).seal(encodeReading(gen.next()));
  const tampered = Buffer.from(genuine);
  tampered[20] = tampered[20]! ^ 0x01; // one bit of the ciphertext
  const foreign = await s.keys.get(S2).seal(encodeReading({ seq: 0, ts: Date.now(), type: 1, value: 50, unit: '%RH' }));
  await publishRaw(tampered);
  await publishRaw(Buffer.from(foreign));
  await publishReadings(1);
  await waitFor('the next genuine reading', () => live(b1).length === 11);
  assert.equal(live(b1).at(-1)!.reading, sent.at(-1));
  assert.equal(b1.checks.live.get(S1)!.totals.failed, { ITRADE_ERR_CRYPTO_DECRYPT_FAILED: 2 });
  await b1.replay(S1, { from: { offset: 10 } });
  assert.equal(
    b1.checks.replay.get(S1)!.totals.failed,
    { ITRADE_ERR_CRYPTO_DECRYPT_FAILED: 2 },
    'replayed copies fail the same way',
  );
});

test("a buyer without a subscription, or with another sensor's, never gets a wrapped key or the stream", async () => {
  for (const who of [p.b3, p.b4]) {
    const b = await connect(who, [[S1, 0]]);
    for (const keyId of ['current', 1] as const) await rejects(b.keys.request(S1, keyId), 'CRYPTO_KEY_NOT_ENTITLED');
    await rejects(b.subscribeLive(), 'SIM_SUBSCRIBE_REFUSED');
    assert.not.ok(who.buyerKeys().has(S1), 'no key of S1 in its keyring');
    assert.equal(await redis.keys(`${m.keyPrefix}wrapped:${S1}:*:${who.principal()}`), []);
  }
  const b3 = await connect(p.b3, [[S2, 1]]);
  assert.is((await b3.keys.request(S2, 'current')).keyId, 1, 'its own sensor works');
});

test('after a key rotation, a buyer whose entries ran out cannot decrypt new entries', async () => {
  const b1 = buyers[0]!;
  const b2 = await connect(p.b2, [[S1, 0]]);
  assert.equal(await b2.fetchKeys(S1), [1]);
  await b2.subscribeLive();
  await publishReadings(7);
  await waitFor('b2 used up its 5 entries', () => b2.exhausted(S1) && live(b2).length === 5);

  assert.is(s.keys.rotate(S1).keyId, 2);
  await publishReadings(3);
  await waitFor(
    'b1 reads key-2 entries',
    () => live(b1).filter((r) => r.keyId === 2).length === 3 || b1.checks.live.get(S1)!.failures > 2,
    30_000,
  );
  assert.equal(
    b1.checks.live.get(S1)!.totals.failed,
    { ITRADE_ERR_CRYPTO_DECRYPT_FAILED: 2 },
    'only the two bad envelopes of the test before',
  );
  assert.equal(
    live(b1)
      .slice(-3)
      .map((r) => r.reading),
    sent.slice(-3),
  );

  const newEntry = live(b1).at(-1)!.envelope; // b2 got hold of a new entry some other way
  await rejects(b2.keys.open(S1, newEntry), 'CRYPTO_KEY_NOT_ENTITLED');
  await rejects(b2.keys.request(S1, 2), 'CRYPTO_KEY_NOT_ENTITLED');
  assert.equal(await redis.keys(`${m.keyPrefix}wrapped:${S1}:2:${b2.buyer}`), []);
  const paid = live(b2)[0]!;
  assert.equal(await b2.keys.open(S1, paid.envelope), paid.reading, 'what it paid for stays readable');
});

test('the bytes in Kafka and Redis never contain a reading or an AES key', async () => {
  const aesKeys = [S1, S2].flatMap((x) =>
    s.keys
      .get(x)
      .keyIds()
      .map((id) => Buffer.from(s.keys.get(x).get(id)!.key)),
  );
  const plaintexts = sent.map((r) => Buffer.from(encodeReading(r)));
  assert.is(
    findSecret(Buffer.concat([Buffer.from('x'), plaintexts[0]!]), plaintexts),
    0,
    'the search finds a reading where there is one',
  );

  const records = await kafkaRecords(services().kafkaBrokers, [`${m.topicPrefix}${S1}`]);
  assert.equal(
    records.map((r) => r.value.toString('hex')),
    published.map((x) => x.toString('hex')),
    'Kafka holds exactly what was published on S1',
  );
  for (const r of records) {
    assert.is(findSecret(Buffer.concat([r.value, r.meta]), aesKeys), -1, `Kafka offset ${r.offset} holds an AES key`);
    assert.is(findSecret(Buffer.concat([r.value, r.meta]), plaintexts), -1, `Kafka offset ${r.offset} holds a reading`);
  }

  const stored = await redisDump(redis, m.keyPrefix);
  assert.ok(
    stored.some((k) => k.key.startsWith(`${m.keyPrefix}wrapped:${S1}:2:`)),
    'the dump sees the wrapped-key cache',
  );
  // Delivery reads the Kafka log at each buyer's cursor: the offline session's entries wait in
  // Kafka, not in Redis (docs/broker.md, "Delivery from the log"); its cursor is there.
  assert.not.ok(
    stored.some((k) => published.some((env) => k.bytes.includes(env))),
    'an envelope is queued in Redis',
  );
  assert.ok(
    stored.some((k) => k.key.startsWith(`${m.keyPrefix}cursor:`)),
    "the dump sees the buyers' cursors",
  );
  for (const k of stored) {
    assert.is(findSecret(k.bytes, aesKeys), -1, `Redis ${k.key} (${k.type}) holds an AES key`);
    assert.is(findSecret(k.bytes, plaintexts), -1, `Redis ${k.key} (${k.type}) holds a reading`);
  }
});

test.run();
