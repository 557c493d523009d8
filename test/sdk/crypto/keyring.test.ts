// The in-memory keyring of the SDK (Node.js and browser): keys, rotation, the key file's JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring } from '../../../sdk/crypto/keyring.ts';
import { isItradeError, type ErrorName } from '../../../protocol/errors.ts';

const SENSOR = '0x1234567890abcdef1234567890abcdef12345678';

async function throwsCode(fn: () => unknown, name: ErrorName): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isItradeError(err, name), `expected ${name}, got ${(err as Error).message}`);
    return err as Error;
  }
  return assert.unreachable(`expected ${name}`) as never;
}

const text = (b: Uint8Array) => Buffer.from(b).toString();

test('rotation: a new current key id, old keys kept, old data still decrypts after a JSON round trip', async () => {
  const ring = Keyring.generate(SENSOR, 1_000);
  assert.is(ring.current().keyId, 1);
  assert.is(ring.current().key.length, 32);
  const oldEnvelope = await ring.seal(Buffer.from('reading under key 1'));
  const k2 = ring.rotate(5_000);
  assert.is(k2.keyId, 2);
  assert.not.equal(k2.key, ring.get(1)!.key);
  const newEnvelope = Buffer.from(await ring.seal(Buffer.from('reading under key 2')));
  assert.is(newEnvelope.readUInt32BE(1), 2);

  const reloaded = Keyring.fromJson(ring.toJson());
  assert.is(reloaded.current().keyId, 2);
  assert.equal(reloaded.keyIds(), [1, 2]);
  assert.is(text(await reloaded.open(oldEnvelope)), 'reading under key 1');
  assert.is(text(await reloaded.open(newEnvelope)), 'reading under key 2');
  assert.equal(reloaded.period(1), { sinceMs: 1_000, untilMs: 5_000 });
  assert.equal(reloaded.period(2), { sinceMs: 5_000, untilMs: null });
});

test('the key file JSON is the documented format: keys in standard base64', () => {
  const ring = Keyring.generate(SENSOR, 7);
  const json = JSON.parse(ring.toJson());
  assert.equal(Object.keys(json), ['format', 'sensor', 'current', 'keys']);
  assert.is(json.format, 'itrade-keyring/1');
  assert.equal(Buffer.from(json.keys[0].key, 'base64'), Buffer.from(ring.current().key));
});

test('rotation periods never overlap, even when the clock steps back', () => {
  const ring = Keyring.generate(SENSOR, 10_000);
  const k2 = ring.rotate(9_000);
  assert.ok(k2.sinceMs > 10_000);
  assert.equal(ring.period(1), { sinceMs: 10_000, untilMs: k2.sinceMs });
});

test('malformed key file text is refused with a clear message naming the file', async () => {
  await throwsCode(() => Keyring.fromJson('not json', 'a.json'), 'CRYPTO_KEYFILE_INVALID');
  await throwsCode(
    () => Keyring.fromJson(JSON.stringify({ format: 'other', sensor: SENSOR, keys: [] })),
    'CRYPTO_KEYFILE_INVALID',
  );
  const short = {
    format: 'itrade-keyring/1',
    sensor: SENSOR,
    current: 1,
    keys: [{ keyId: 1, sinceMs: 0, key: 'AAAA' }],
  };
  const err = await throwsCode(() => Keyring.fromJson(JSON.stringify(short), 'c.json'), 'CRYPTO_KEYFILE_INVALID');
  assert.match(err.message, 'key file c.json: key 1: not 32 base64 bytes');
  const dup = {
    format: 'itrade-keyring/1',
    sensor: SENSOR,
    keys: [1, 1].map((keyId) => ({ keyId, sinceMs: 0, key: Buffer.alloc(32).toString('base64') })),
  };
  await throwsCode(() => Keyring.fromJson(JSON.stringify(dup)), 'CRYPTO_KEYFILE_INVALID');
  const noCurrent = { format: 'itrade-keyring/1', sensor: SENSOR, current: 2, keys: [] };
  await throwsCode(() => Keyring.fromJson(JSON.stringify(noCurrent)), 'CRYPTO_KEYFILE_INVALID');
});

test('a buyer keyring holds received keys only: it opens envelopes but cannot seal', async () => {
  const seller = Keyring.generate(SENSOR);
  const env = await seller.seal(Buffer.from('hello'));
  const buyer = Keyring.empty(SENSOR);
  await throwsCode(() => buyer.open(env), 'CRYPTO_UNKNOWN_KEY_ID');
  await throwsCode(() => buyer.current(), 'CRYPTO_UNKNOWN_KEY_ID');
  assert.ok(buyer.add(seller.current()));
  assert.not.ok(buyer.add(seller.current()), 'the same key again changes nothing');
  assert.is(text(await buyer.open(env)), 'hello');
  await throwsCode(() => buyer.add({ ...seller.current(), key: Buffer.alloc(32, 1) }), 'CRYPTO_KEYFILE_INVALID');
  assert.not.match(buyer.toJson(), '"current"');
  assert.is(text(await Keyring.fromJson(buyer.toJson()).open(env)), 'hello');
});

test.run();
