// The KeyService's protocol logic against in-memory fakes of its interfaces; the seller's agent
// is the real answerKeyRequest with real keyrings and RSA keys, called in-process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SellerChannel } from '../../interfaces/layers.ts';
import {
  encodeKeyMessage,
  parseAgentKeyRequest,
  parseBuyerKeyReply,
  type AgentKeyRequest,
  type BuyerKeyReply,
} from '../../protocol/key-exchange.ts';
import { buyerKeyReplyTopic, buyerKeyRequestTopic, buyerTopic, sellerKeyReplyTopic } from '../../protocol/topics.ts';
import { KeyringFolder } from '../../sdk/node/keyring-folder.ts';
import { PrincipalKey, unwrapSensorKey } from '../../sdk/crypto/rsa.ts';
import { fromBase64 } from '../../protocol/bytes.ts';
import { asBuffer } from '../../lib/bytes.ts';
import { answerKeyRequest, type KeyAgentConfig } from '../../sdk/key-agent.ts';
import { KeyService, type KeyServiceOptions } from '../../keys/key-service.ts';
import { createLogger } from '../../lib/log.ts';
import {
  FakeDirectory,
  FakeEntitlements,
  FakeMeter,
  MemoryWrappedKeyCache,
  RecordingBuyerChannel,
} from '../helpers/key-exchange-fakes.ts';

const addr = (c: string) => `0x${c.repeat(40)}`;
const SELLER = addr('a');
const SENSOR = addr('1');
const OTHER_SENSOR = addr('2');
const B1 = addr('b'); // subscribed from before rotation 1
const B2 = addr('c'); // subscribed after rotation 1
const B3 = addr('d'); // no subscription
const log = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'itrade-keysvc-'));

const sellerKey = await PrincipalKey.generate();
const buyerKeys = new Map(
  await Promise.all([B1, B2, B3].map(async (b) => [b, await PrincipalKey.generate()] as const)),
);

// Sensor keys: key 1 from t=1000 s, key 2 from 2000 s, key 3 from 3000 s (current).
const keyrings = new KeyringFolder(join(dir, 'seller'));
keyrings.create(SENSOR, 1_000_000);
keyrings.rotate(SENSOR, 2_000_000);
keyrings.rotate(SENSOR, 3_000_000);
const ring = keyrings.get(SENSOR);
keyrings.create(OTHER_SENSOR, 1_000_000);

class AgentLoop implements SellerChannel {
  online = true;
  asked: AgentKeyRequest[] = [];
  service!: KeyService;
  readonly cfg: KeyAgentConfig = { seller: SELLER, keyrings, principalKey: sellerKey };

  async send(seller: string, _topic: string, payload: Buffer): Promise<void> {
    const req = parseAgentKeyRequest(payload);
    this.asked.push(req);
    if (!this.online) return;
    const reply = await answerKeyRequest(this.cfg, req);
    setImmediate(
      () => void this.service.onSellerMessage(seller, sellerKeyReplyTopic(seller), asBuffer(encodeKeyMessage(reply))),
    );
  }
}

function setup(opts: Partial<KeyServiceOptions> = {}) {
  const entitlements = new FakeEntitlements();
  entitlements.addSensor(SENSOR, SELLER);
  entitlements.addSensor(OTHER_SENSOR, SELLER);
  entitlements.grant(B1, SENSOR, 1_500);
  entitlements.grant(B2, SENSOR, 2_500);
  entitlements.grant(B3, OTHER_SENSOR, 1_000);
  const meter = new FakeMeter();
  for (const b of [B1, B2]) meter.set(b, SENSOR, 10);
  meter.set(B3, OTHER_SENSOR, 10);
  const directory = new FakeDirectory();
  for (const [b, k] of buyerKeys) directory.keys.set(b, k.publicKeyPem());
  const buyers = new RecordingBuyerChannel();
  const agent = new AgentLoop();
  const cache = new MemoryWrappedKeyCache();
  const options = { agentTimeoutMs: 2000, cacheTtlSec: 60, maxPendingPerBuyer: 8, ...opts };
  const service = new KeyService({ entitlements, meter, directory, buyers, sellers: agent, cache, options, log });
  agent.service = service;
  let n = 0;
  const ask = async (buyer: string, body: Record<string, unknown>): Promise<BuyerKeyReply> => {
    const id = (body.id as string) ?? `r${n++}`;
    await service.onBuyerMessage(buyer, buyerKeyRequestTopic(buyer), Buffer.from(JSON.stringify({ id, ...body })));
    const sent = buyers.last();
    assert.is(sent.buyer, buyer, 'answered to the asking buyer');
    assert.is(sent.topic, buyerKeyReplyTopic(buyer, id));
    return parseBuyerKeyReply(sent.payload);
  };
  return { entitlements, meter, directory, buyers, agent, cache, service, ask };
}

function code(r: BuyerKeyReply): string | undefined {
  return 'error' in r ? r.error.code : undefined;
}

function unwrap(buyer: string, r: BuyerKeyReply, sensor = SENSOR) {
  assert.not.ok('error' in r, `expected a grant, got ${JSON.stringify(r)}`);
  if ('error' in r) throw new Error('unreachable');
  return unwrapSensorKey(
    buyerKeys.get(buyer)!,
    { wrapped: fromBase64(r.wrapped)!, signature: fromBase64(r.signature)! },
    { buyer, sensor, keyId: r.keyId, sellerPublicKeyPem: sellerKey.publicKeyPem() },
  );
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test("a subscribed buyer gets the sensor's current key, wrapped for it and signed by the seller", async () => {
  const { ask, agent } = setup();
  const r = await ask(B1, { sensor: SENSOR, keyId: 'current' });
  const k = await unwrap(B1, r);
  assert.is(k.keyId, 3);
  assert.equal(k.key, ring.get(3)!.key);
  assert.is(agent.asked.length, 1);
  assert.is(agent.asked[0]!.buyer, B1);
  assert.is(agent.asked[0]!.rsaPublicKey, buyerKeys.get(B1)!.publicKeyPem());
  assert.is(agent.asked[0]!.notBeforeMs, 1_500_000);
});

test('a buyer without a subscription never gets a wrapped key, and the agent is never asked', async () => {
  const { ask, agent, buyers } = setup();
  for (const keyId of ['current', 1, 2, 3]) {
    const r = await ask(B3, { sensor: SENSOR, keyId });
    assert.is(code(r), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  }
  assert.is(agent.asked.length, 0);
  assert.not.ok(buyers.sent.some((s) => s.payload.toString().includes('wrapped')));
});

test("another sensor's subscription does not count, even if the chain adapter returns it", async () => {
  const { ask, agent, entitlements } = setup();
  assert.is(code(await ask(B3, { sensor: SENSOR, keyId: 'current' })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  entitlements.ignoreSensor = true; // a buggy adapter hands back B3's OTHER_SENSOR grant
  assert.is(code(await ask(B3, { sensor: SENSOR, keyId: 'current' })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  assert.is(agent.asked.length, 0);
  await unwrap(B3, await ask(B3, { sensor: OTHER_SENSOR, keyId: 'current' }), OTHER_SENSOR); // its own sensor works
});

test('unknown and blocked sensors are refused (fail closed)', async () => {
  const { ask, entitlements } = setup();
  assert.is(code(await ask(B1, { sensor: addr('9'), keyId: 1 })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  await ask(B1, { sensor: SENSOR, keyId: 3 }); // now cached
  entitlements.addSensor(SENSOR, SELLER, 'blocked');
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 3 })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
});

test('a cached answer is served to that buyer only; another buyer gets its own wrapping', async () => {
  const { ask, agent, buyers } = setup();
  const first = await ask(B1, { sensor: SENSOR, keyId: 2 });
  const again = await ask(B1, { sensor: SENSOR, keyId: 2 });
  assert.is(agent.asked.length, 1, 'the second answer came from the cache');
  assert.equal(again, { ...first, id: again.id });
  const other = await ask(B2, { sensor: SENSOR, keyId: 2 });
  assert.is(agent.asked.length, 2, "B1's cached key is not B2's");
  assert.equal((await unwrap(B2, other)).key, ring.get(2)!.key);
  const b1Wrapped = 'error' in first ? '' : first.wrapped;
  assert.not.ok(
    buyers.sent.some((s) => s.buyer !== B1 && s.payload.toString().includes(b1Wrapped)),
    "B1's wrapped key went to nobody else",
  );
  assert.ok(
    buyers.sent.every((s) => s.topic.startsWith(`buyers/${s.buyer}/`)),
    'every answer on the asking buyer topic',
  );
});

test('a buyer that registered a new RSA key gets a fresh wrapping, not the cached one', async () => {
  const { ask, agent, directory } = setup();
  await ask(B1, { sensor: SENSOR, keyId: 3 });
  const newKey = await PrincipalKey.generate();
  directory.keys.set(B1, newKey.publicKeyPem());
  buyerKeys.set(B1, newKey);
  try {
    const r = await ask(B1, { sensor: SENSOR, keyId: 3 });
    assert.is(agent.asked.length, 2);
    assert.equal((await unwrap(B1, r)).key, ring.get(3)!.key);
  } finally {
    buyerKeys.set(B1, await PrincipalKey.generate()); // keep the map consistent for later tests
    directory.keys.set(B1, buyerKeys.get(B1)!.publicKeyPem());
  }
});

test('agent offline: the buyer gets a clear error, not silence', async () => {
  const { ask, agent } = setup({ agentTimeoutMs: 150 });
  agent.online = false;
  const r = await ask(B1, { sensor: SENSOR, keyId: 'current' });
  assert.is(code(r), 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE');
  assert.match('error' in r ? r.error.message : '', `seller ${SELLER}`);
});

test('rotation rule: keys retired before the subscription started are refused, later ones given', async () => {
  const { ask } = setup();
  // B1 subscribed at 1500 s: key 1 was in effect then; B2 at 2500 s: key 1 was retired at 2000 s.
  for (const id of [1, 2, 3]) assert.is((await unwrap(B1, await ask(B1, { sensor: SENSOR, keyId: id }))).keyId, id);
  assert.is(code(await ask(B2, { sensor: SENSOR, keyId: 1 })), 'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED');
  for (const id of [2, 3]) assert.is((await unwrap(B2, await ask(B2, { sensor: SENSOR, keyId: id }))).keyId, id);
});

test('an expired buyer (no entries left) gets no new key id; keys it already received are re-sent', async () => {
  const { ask, meter } = setup();
  await unwrap(B1, await ask(B1, { sensor: SENSOR, keyId: 2 }));
  meter.set(B1, SENSOR, 0);
  assert.is((await unwrap(B1, await ask(B1, { sensor: SENSOR, keyId: 2 }))).keyId, 2, 'already issued: re-sent');
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 3 })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 'current' })), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
});

test('an unknown key id is reported by the agent with its own code', async () => {
  const { ask } = setup();
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 99 })), 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID');
});

test('malformed requests: answered on the id topic when the id is readable, else on notices', async () => {
  const { ask, service, buyers, agent } = setup();
  assert.is(code(await ask(B1, { sensor: 'nope', keyId: 1 })), 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID');
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 0 })), 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID');
  await service.onBuyerMessage(B1, buyerKeyRequestTopic(B1), Buffer.from('{"id":"a/b","sensor":1}'));
  assert.is(buyers.last().topic, buyerTopic(B1, 'notices'));
  assert.match(buyers.last().payload.toString(), 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID');
  const before = buyers.sent.length;
  await service.onBuyerMessage(B1, buyerTopic(B1, 'replay', 'request'), Buffer.from('{}'));
  assert.is(buyers.sent.length, before, 'other buyer topics are not the KeyService business');
  assert.is(agent.asked.length, 0);
});

test('a buyer without an RSA key on chain is told so', async () => {
  const { ask, directory } = setup();
  directory.keys.delete(B2);
  assert.is(code(await ask(B2, { sensor: SENSOR, keyId: 3 })), 'ITRADE_ERR_CRYPTO_RSA_KEY_INVALID');
});

test('the chain being unreachable fails closed with a retry hint', async () => {
  const { ask, entitlements, agent } = setup();
  entitlements.failWith = new Error('ECONNREFUSED');
  assert.is(code(await ask(B1, { sensor: SENSOR, keyId: 3 })), 'ITRADE_ERR_CRYPTO_KEY_CHECK_FAILED');
  assert.is(agent.asked.length, 0);
});

test('repeated identical requests ask the agent once; too many pending requests are refused', async () => {
  const { service, buyers, agent } = setup({ maxPendingPerBuyer: 2, agentTimeoutMs: 300 });
  agent.online = false;
  const send = (id: string, keyId: number | string) =>
    service.onBuyerMessage(B1, buyerKeyRequestTopic(B1), Buffer.from(JSON.stringify({ id, sensor: SENSOR, keyId })));
  const all = Promise.all([send('x1', 3), send('x2', 3), send('x3', 2), send('x4', 1)]);
  await all;
  const byId = new Map(buyers.sent.map((s) => [s.topic.split('/').at(-1), parseBuyerKeyReply(s.payload)]));
  assert.is(agent.asked.length, 2, 'x1 and x2 shared one question');
  assert.is(code(byId.get('x1')!), 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE');
  assert.is(code(byId.get('x2')!), 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE');
  assert.is(code(byId.get('x4')!), 'ITRADE_ERR_CRYPTO_KEY_BUSY');
});

test('only the asked seller can answer: a reply from another seller or topic is ignored', async () => {
  const { service, buyers, agent } = setup({ agentTimeoutMs: 500 });
  agent.online = false;
  const pending = service.onBuyerMessage(
    B1,
    buyerKeyRequestTopic(B1),
    Buffer.from(JSON.stringify({ id: 'q', sensor: SENSOR, keyId: 3 })),
  );
  await new Promise((r) => setImmediate(r));
  const req = agent.asked[0]!;
  const real = await answerKeyRequest(agent.cfg, req);
  const impostor = addr('e');
  await service.onSellerMessage(impostor, sellerKeyReplyTopic(impostor), asBuffer(encodeKeyMessage(real)));
  await service.onSellerMessage(SELLER, sellerKeyReplyTopic(impostor), asBuffer(encodeKeyMessage(real)));
  await service.onSellerMessage(SELLER, sellerKeyReplyTopic(SELLER), Buffer.from('{"id":"not-pending"}'));
  assert.is(buyers.sent.length, 0, 'nothing answered yet');
  await service.onSellerMessage(SELLER, sellerKeyReplyTopic(SELLER), asBuffer(encodeKeyMessage(real)));
  await pending;
  assert.is((await unwrap(B1, parseBuyerKeyReply(buyers.last().payload))).keyId, 3);
});

test('close() fails questions still waiting for agents', async () => {
  const { service, buyers, agent } = setup({ agentTimeoutMs: 60_000 });
  agent.online = false;
  const pending = service.onBuyerMessage(
    B1,
    buyerKeyRequestTopic(B1),
    Buffer.from(JSON.stringify({ id: 'z', sensor: SENSOR, keyId: 3 })),
  );
  await new Promise((r) => setImmediate(r));
  service.close();
  await pending;
  assert.is(code(parseBuyerKeyReply(buyers.last().payload)), 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE');
});

test.run();
