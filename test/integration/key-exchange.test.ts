// The whole key exchange over real MQTT and the real Redis: a device publishes envelopes, buyers
// fetch keys through the KeyService from the seller's key agent, decrypt exactly what the device
// sent; the Redis cache and every MQTT payload hold no AES key and no reading; rotation locks out
// an expired buyer. The transport is a plain in-process Aedes (no authentication: the
// authenticated broker is tested with the broker); the chain and the meter are in-memory fakes of
// their interfaces until the chain adapter lands.
import { Aedes, type AedesPublishPacket } from 'aedes';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import { ReadingGenerator } from '../../firmware-sim/readings.ts';
import { encodeReading, type Reading } from '../../sdk/crypto/reading.ts';
import { asPayload, BuyerKeyClient, KeyAgent, KeyringFolder, PrincipalKey } from '../../sdk/node.ts';
import { createKeyService, type KeyService } from '../../keys/key-service.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { FakeDirectory, FakeEntitlements, FakeMeter } from '../helpers/key-exchange-fakes.ts';
import { findSecret } from '../helpers/secrets.ts';
import { services, unique } from '../helpers/services.ts';

const addr = (c: string) => `0x${c.repeat(40)}`;
const SELLER = addr('a');
const SENSOR = addr('1');
const OTHER_SENSOR = addr('2');
const [B1, B2, B3] = [addr('b'), addr('c'), addr('d')]; // entitled, runs out, other sensor only
const log = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'itrade-keyx-'));
const prefix = `${unique('itrade-keyx')}:`;
const redis = new Redis(services().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });

let broker: Aedes;
let server: Server;
let url: string;
let keyService: KeyService;
let agent: KeyAgent;
const brokerPayloads: Buffer[] = [];
const keyRequests = new Map<string, number>(); // per buyer
const clients: { close(): Promise<void> }[] = [];
const entitlements = new FakeEntitlements();
const meter = new FakeMeter();
const directory = new FakeDirectory();
const sellerKeys = new KeyringFolder(join(dir, 'seller'));
const sellerKey = await PrincipalKey.generate();
const buyerKey = new Map(await Promise.all([B1, B2, B3].map(async (b) => [b, await PrincipalKey.generate()] as const)));
const sent: Reading[] = [];

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function publishInternal(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
  const packet = { cmd: 'publish', topic, payload, qos, retain: false, dup: false } as AedesPublishPacket;
  return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
}

/** The routing the authenticated broker will do: buyers' key requests and agents' replies to the KeyService. */
function route(packet: AedesPublishPacket, client: unknown): void {
  brokerPayloads.push(Buffer.from(packet.payload));
  if (!client) return;
  const buyer = /^buyers\/(0x[0-9a-f]{40})\/keys\/request$/.exec(packet.topic)?.[1];
  if (buyer) {
    keyRequests.set(buyer, (keyRequests.get(buyer) ?? 0) + 1);
    void keyService.onBuyerMessage(buyer, packet.topic, Buffer.from(packet.payload));
  }
  const seller = /^sellers\/(0x[0-9a-f]{40})\/keys\/replies$/.exec(packet.topic)?.[1];
  if (seller) void keyService.onSellerMessage(seller, packet.topic, Buffer.from(packet.payload));
}

async function buyer(b: string): Promise<{ keys: BuyerKeyClient; received: Buffer[] }> {
  const keys = await BuyerKeyClient.connect(
    {
      buyer: b,
      principalKey: buyerKey.get(b)!,
      keyrings: new KeyringFolder(join(dir, b)),
      sellerPublicKey: async () => sellerKey.publicKeyPem(),
      timeoutMs: 10_000,
      log,
    },
    { url },
  );
  clients.push(keys);
  const received: Buffer[] = [];
  keys.client.on('message', (topic, payload) => topic === sensorTopic(SENSOR) && received.push(payload));
  await keys.client.subscribeAsync(sensorTopic(SENSOR), { qos: 1 });
  return { keys, received };
}

test.before(async () => {
  await redis.connect();
  broker = await Aedes.createBroker();
  broker.on('publish', route);
  server = createServer({ noDelay: true }, broker.handle); // no Nagle: ~40 ms per small answer otherwise
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  url = `mqtt://127.0.0.1:${port}`;

  entitlements.addSensor(SENSOR, SELLER);
  entitlements.addSensor(OTHER_SENSOR, SELLER);
  const start = Math.floor(Date.now() / 1000) - 60;
  entitlements.grant(B1, SENSOR, start);
  entitlements.grant(B2, SENSOR, start);
  entitlements.grant(B3, OTHER_SENSOR, start);
  for (const b of [B1, B2]) meter.set(b, SENSOR, 100);
  meter.set(B3, OTHER_SENSOR, 100);
  for (const [b, k] of buyerKey) directory.keys.set(b, k.publicKeyPem());
  sellerKeys.create(SENSOR, Date.now() - 120_000);
  sellerKeys.create(OTHER_SENSOR);

  keyService = createKeyService({
    entitlements,
    meter,
    directory,
    log,
    redis,
    keyPrefix: prefix,
    buyers: { send: (_b, topic, payload, qos) => publishInternal(topic, payload, qos) },
    sellers: { send: (_s, topic, payload, qos) => publishInternal(topic, payload, qos) },
    options: { agentTimeoutMs: 1500, cacheTtlSec: 3600, maxPendingPerBuyer: 8 },
  });
  agent = await KeyAgent.start(
    { seller: SELLER, keyrings: new KeyringFolder(join(dir, 'seller')), principalKey: sellerKey, log },
    { url, password: 'seller-jwt' },
  );
});

test.after(async () => {
  keyService?.close();
  for (const c of clients) await c.close().catch(() => undefined);
  await agent?.stop().catch(() => undefined);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function deviceSends(device: MqttClient, gen: ReadingGenerator, n: number): Promise<void> {
  const ring = new KeyringFolder(join(dir, 'seller')).get(SENSOR); // the device's own copy of the key file
  for (let i = 0; i < n; i++) {
    const r = gen.next();
    sent.push(r);
    await device.publishAsync(sensorTopic(SENSOR), asPayload(await ring.seal(encodeReading(r))), { qos: 1 });
  }
}

test('buyers decrypt exactly what the device sent; rotation locks out the buyer whose entries ran out', async () => {
  const b1 = await buyer(B1);
  const b2 = await buyer(B2);
  const device = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'device-1' });
  clients.push({ close: () => device.endAsync() });
  const gen = new ReadingGenerator(0, { seed: 42 });

  await deviceSends(device, gen, 5);
  await until(() => b1.received.length === 5 && b2.received.length === 5, 'five readings at both buyers');
  for (const b of [b1, b2]) {
    const got = [];
    for (const env of b.received) got.push(await b.keys.open(SENSOR, env));
    assert.equal(got, sent.slice(0, 5));
  }

  meter.set(B2, SENSOR, 0); // B2 used up its entries
  sellerKeys.rotate(SENSOR);
  await deviceSends(device, gen, 3);
  await until(() => b1.received.length === 8 && b2.received.length === 8, 'three more readings');

  const before = keyRequests.get(B1)!;
  const b1New = await Promise.all(b1.received.slice(5).map((env) => b1.keys.open(SENSOR, env)));
  assert.equal(b1New, sent.slice(5, 8), 'B1 fetched key 2 and reads the new entries');
  assert.is(keyRequests.get(B1)! - before, 1, 'three envelopes waiting for key 2 asked for it once');
  try {
    await b2.keys.open(SENSOR, b2.received[6]!);
    assert.unreachable('the expired buyer decrypted a new entry');
  } catch (err) {
    assert.ok(isItradeError(err, 'CRYPTO_KEY_NOT_ENTITLED'), String(err));
  }
  assert.equal(await b2.keys.open(SENSOR, b2.received[0]!), sent[0], 'old entries stay readable with the old key');
});

test("a buyer without a subscription, or with another sensor's, never gets a wrapped key", async () => {
  const b3 = await buyer(B3);
  for (const keyId of ['current', 1, 2] as const) {
    try {
      await b3.keys.request(SENSOR, keyId);
      assert.unreachable(`B3 got key ${keyId}`);
    } catch (err) {
      assert.ok(isItradeError(err, 'CRYPTO_KEY_NOT_ENTITLED'), String(err));
    }
  }
  assert.is((await b3.keys.request(OTHER_SENSOR, 'current')).keyId, 1, 'its own sensor works');
  assert.equal(await redis.keys(`${prefix}wrapped:${SENSOR}:*:${B3}`), []);
});

test('Redis holds only wrapped keys (never an AES key or a reading), per sensor, key id and buyer', async () => {
  const keys = (await redis.keys(`${prefix}*`)).sort();
  assert.equal(keys, [
    `${prefix}wrapped:${SENSOR}:1:${B1}`,
    `${prefix}wrapped:${SENSOR}:1:${B2}`,
    `${prefix}wrapped:${SENSOR}:2:${B1}`,
    `${prefix}wrapped:${OTHER_SENSOR}:1:${B3}`,
  ]);
  const aesKeys = [SENSOR, OTHER_SENSOR].flatMap((s) =>
    sellerKeys
      .get(s)
      .keyIds()
      .map((id) => Buffer.from(sellerKeys.get(s).get(id)!.key)),
  );
  const plaintexts = sent.map((r) => Buffer.from(encodeReading(r)));
  for (const k of keys) {
    const value = Buffer.from((await redis.getBuffer(k))!);
    assert.is(findSecret(value, aesKeys), -1, `${k} holds an AES key`);
    assert.is(findSecret(value, plaintexts), -1, `${k} holds a reading`);
    assert.not.ok(value.includes('"unit"'), `${k} holds reading fields`);
    assert.ok((await redis.ttl(k)) > 0, `${k} expires`);
  }
});

test('no payload that crossed the broker holds an AES key or a plaintext reading', async () => {
  const aesKeys = sellerKeys
    .get(SENSOR)
    .keyIds()
    .map((id) => Buffer.from(sellerKeys.get(SENSOR).get(id)!.key));
  const plaintexts = sent.map((r) => Buffer.from(encodeReading(r)));
  assert.ok(brokerPayloads.length > 20, `saw ${brokerPayloads.length} payloads`);
  for (const p of brokerPayloads) {
    assert.is(findSecret(p, aesKeys), -1, 'an AES key crossed the broker');
    assert.is(findSecret(p, plaintexts), -1, 'a reading crossed the broker in clear');
  }
});

test('seller agent offline: a cached key is still served, a new one fails with a clear error', async () => {
  await agent.stop();
  const b1 = await buyer(B1);
  assert.is((await b1.keys.request(SENSOR, 2)).keyId, 2, 'served from the Redis cache');
  sellerKeys.rotate(SENSOR); // key 3, which nobody has fetched
  try {
    await b1.keys.request(SENSOR, 3);
    assert.unreachable('a key came without an agent');
  } catch (err) {
    assert.ok(isItradeError(err, 'CRYPTO_KEY_AGENT_UNAVAILABLE'), String(err));
  }
});

test.run();
