// The seller's key agent's decisions (answerKeyRequest), without MQTT: the MQTT round trip is in
// test/integration/key-exchange.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentKeyReply, AgentKeyRequest } from '../../protocol/key-exchange.ts';
import { KeyringFolder } from '../../sdk/node/keyring-folder.ts';
import { PrincipalKey, unwrapSensorKey } from '../../sdk/crypto/rsa.ts';
import { fromBase64 } from '../../protocol/bytes.ts';
import { answerKeyRequest, type KeyAgentConfig } from '../../sdk/key-agent.ts';
import { FakeDirectory, FakeEntitlements } from '../helpers/key-exchange-fakes.ts';

const addr = (c: string) => `0x${c.repeat(40)}`;
const SELLER = addr('a');
const SENSOR = addr('1');
const BUYER = addr('b');
const dir = mkdtempSync(join(tmpdir(), 'itrade-agent-'));
// gatewayKey: what a dishonest gateway would substitute
const [sellerKey, buyerKey, gatewayKey] = await Promise.all([1, 2, 3].map(() => PrincipalKey.generate()));
const keyrings = new KeyringFolder(dir);
keyrings.create(SENSOR, 1_000_000);
keyrings.rotate(SENSOR, 2_000_000);
const ring = keyrings.get(SENSOR);

const cfg: KeyAgentConfig = { seller: SELLER, keyrings, principalKey: sellerKey };

function req(over: Partial<AgentKeyRequest> = {}): AgentKeyRequest {
  return {
    id: 'g1',
    sensor: SENSOR,
    keyId: 'current',
    buyer: BUYER,
    rsaPublicKey: buyerKey.publicKeyPem(),
    notBeforeMs: 0,
    ...over,
  };
}

function code(r: AgentKeyReply): string | undefined {
  return 'error' in r ? r.error.code : undefined;
}

function unwrapWith(own: PrincipalKey, r: AgentKeyReply) {
  if ('error' in r) throw new Error(`expected a grant: ${r.error.code}`);
  return unwrapSensorKey(
    own,
    { wrapped: fromBase64(r.wrapped)!, signature: fromBase64(r.signature)! },
    { buyer: BUYER, sensor: SENSOR, keyId: r.keyId, sellerPublicKeyPem: sellerKey.publicKeyPem() },
  );
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('"current" resolves to the current key id, with its period', async () => {
  const r = await answerKeyRequest(cfg, req());
  assert.is((await unwrapWith(buyerKey, r)).keyId, 2);
  assert.ok(!('error' in r) && r.sinceMs === 2_000_000 && r.untilMs === null);
  const old = await answerKeyRequest(cfg, req({ keyId: 1 }));
  assert.ok(!('error' in old) && old.sinceMs === 1_000_000 && old.untilMs === 2_000_000);
  assert.equal((await unwrapWith(buyerKey, old)).key, ring.get(1)!.key);
});

test('unknown sensor or key id: UNKNOWN_KEY_ID; a key retired before notBefore: NOT_COVERED', async () => {
  assert.is(code(await answerKeyRequest(cfg, req({ sensor: addr('7') }))), 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID');
  assert.is(code(await answerKeyRequest(cfg, req({ keyId: 9 }))), 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID');
  assert.is(
    code(await answerKeyRequest(cfg, req({ keyId: 1, notBeforeMs: 2_000_000 }))),
    'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED',
  );
  assert.is(code(await answerKeyRequest(cfg, req({ keyId: 1, notBeforeMs: 1_999_999 }))), undefined);
});

test('an agent with a chain view wraps for the on-chain key, not for a key the gateway slipped in', async () => {
  const directory = new FakeDirectory();
  directory.keys.set(BUYER, buyerKey.publicKeyPem());
  const r = await answerKeyRequest({ ...cfg, directory }, req({ rsaPublicKey: gatewayKey.publicKeyPem() }));
  await unwrapWith(gatewayKey, r).then(
    () => assert.unreachable('the substituted key cannot unwrap'),
    (err: Error) => assert.match(err.message, 'does not decrypt'),
  );
  assert.equal((await unwrapWith(buyerKey, r)).key, ring.get(2)!.key);
  directory.keys.delete(BUYER);
  assert.is(code(await answerKeyRequest({ ...cfg, directory }, req())), 'ITRADE_ERR_CRYPTO_RSA_KEY_INVALID');
});

test('an agent with its own subscription view refuses what the chain does not grant', async () => {
  const subscriptions = new FakeEntitlements();
  subscriptions.addSensor(SENSOR, SELLER);
  assert.is(code(await answerKeyRequest({ ...cfg, subscriptions }, req())), 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  subscriptions.grant(BUYER, SENSOR, 2_500); // starts after key 1 was retired
  assert.is(
    code(await answerKeyRequest({ ...cfg, subscriptions }, req({ keyId: 1 }))),
    'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED',
  );
  const granted = await answerKeyRequest({ ...cfg, subscriptions }, req({ keyId: 2 }));
  assert.is((await unwrapWith(buyerKey, granted)).keyId, 2);
});

test('a malformed buyer key gives a clear error answer, never a throw', async () => {
  assert.is(
    code(
      await answerKeyRequest(cfg, req({ rsaPublicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })),
    ),
    'ITRADE_ERR_CRYPTO_RSA_KEY_INVALID',
  );
});

test.run();
