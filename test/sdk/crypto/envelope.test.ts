import { createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ENVELOPE_OVERHEAD,
  envelopeAad,
  envelopeKeyId,
  HEADER_LENGTH,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  type SealInput,
} from '../../../sdk/crypto/envelope.ts';
import { isItradeError, type ErrorName } from '../../../protocol/errors.ts';
import { fromRoot } from '../../../lib/paths.ts';

const SENSOR = '0x1234567890abcdef1234567890abcdef12345678';
const OTHER = '0x00000000000000000000000000000000000000a1';
const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const NONCE = Buffer.from('cafebabefacedbaddecaf888', 'hex');
const READING = Buffer.from('{"seq":42,"ts":1767225600123,"type":0,"value":21.37,"unit":"Cel"}');

async function throwsCode(fn: () => unknown, name: ErrorName, what = ''): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isItradeError(err, name), `${what}: expected ${name}, got ${(err as Error).message}`);
    return;
  }
  assert.unreachable(`${what}: expected ${name}, nothing was thrown`);
}

const keys = (m: Record<number, Buffer>) => (id: number) => m[id];
// Buffers in, Buffers out, so the assertions read as before (the SDK takes and gives Uint8Arrays).
const seal = async (i: SealInput) => Buffer.from(await sealEnvelope(i));
const open = async (...a: Parameters<typeof openEnvelope>) => Buffer.from(await openEnvelope(...a));

test('round trip: the buyer gets exactly the bytes the device sealed', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 7, key: KEY, plaintext: READING });
  assert.equal(await open(env, SENSOR, keys({ 7: KEY })), READING);
  assert.is(envelopeKeyId(env), 7);
  assert.is(env.length, READING.length + ENVELOPE_OVERHEAD);
});

test('layout: version, key id big-endian, nonce, ciphertext, tag; AAD = header + sensor address', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 0x01020304, key: KEY, plaintext: READING, nonce: NONCE });
  assert.is(env[0], 1);
  assert.equal([...env.subarray(1, 5)], [1, 2, 3, 4]);
  assert.equal(env.subarray(5, 17), NONCE);
  // Decrypt by hand from the documented layout, with nothing of envelope.ts but the bytes.
  const d = createDecipheriv('aes-256-gcm', KEY, env.subarray(5, 17));
  d.setAAD(Buffer.concat([env.subarray(0, 5), Buffer.from(SENSOR.slice(2), 'hex')]));
  d.setAuthTag(env.subarray(env.length - 16));
  assert.equal(Buffer.concat([d.update(env.subarray(17, env.length - 16)), d.final()]), READING);
  assert.is(Buffer.from(envelopeAad(1, 0x01020304, SENSOR)).toString('hex'), `0101020304${SENSOR.slice(2)}`);
});

test('the worked example in docs/envelope.md is what the code produces', async () => {
  const doc = readFileSync(fromRoot('docs', 'envelope.md'), 'utf8');
  const block = /and the 98-byte envelope is[^`]*```\n([0-9a-f\n]+)```/.exec(doc);
  assert.ok(block, 'example block found');
  const documented = block![1]!.replace(/\n/g, '');
  const env = await seal({ sensor: SENSOR, keyId: 2, key: KEY, plaintext: READING, nonce: NONCE });
  assert.is(env.toString('hex'), documented);
  assert.ok(doc.includes(READING.toString()), 'the documented reading is the one sealed');
});

test('a fresh random nonce per envelope: equal readings never give equal envelopes', async () => {
  const seen = new Set<string>();
  // 1,000 spans several draws of the nonce pool (341 nonces each).
  for (let i = 0; i < 1000; i++) {
    const env = await seal({ sensor: SENSOR, keyId: 1, key: KEY, plaintext: READING });
    seen.add(env.subarray(5, HEADER_LENGTH).toString('hex'));
  }
  assert.is(seen.size, 1000);
});

test('every single flipped bit anywhere in the envelope is rejected, with the code of its region', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 1, key: KEY, plaintext: READING });
  for (let i = 0; i < env.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const bad = Buffer.from(env);
      bad[i]! ^= bit;
      const expected: ErrorName =
        i === 0 ? 'CRYPTO_ENVELOPE_MALFORMED' : i < 5 ? 'CRYPTO_UNKNOWN_KEY_ID' : 'CRYPTO_DECRYPT_FAILED';
      await throwsCode(() => openEnvelope(bad, SENSOR, keys({ 1: KEY })), expected, `byte ${i} bit ${bit}`);
    }
  }
});

test('a changed key id that names another known key still fails authentication (AAD binds the header)', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 1, key: KEY, plaintext: READING });
  const bad = Buffer.from(env);
  bad.writeUInt32BE(3, 1);
  await throwsCode(
    () => openEnvelope(bad, SENSOR, keys({ 1: KEY, 3: KEY })),
    'CRYPTO_DECRYPT_FAILED',
    'same key, other id',
  );
});

test('truncated or extended envelopes are rejected', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 1, key: KEY, plaintext: READING });
  for (let len = 0; len < env.length; len++) {
    const expected: ErrorName = len < ENVELOPE_OVERHEAD ? 'CRYPTO_ENVELOPE_MALFORMED' : 'CRYPTO_DECRYPT_FAILED';
    await throwsCode(() => openEnvelope(env.subarray(0, len), SENSOR, keys({ 1: KEY })), expected, `length ${len}`);
  }
  await throwsCode(
    () => openEnvelope(Buffer.concat([env, Buffer.from([0])]), SENSOR, keys({ 1: KEY })),
    'CRYPTO_DECRYPT_FAILED',
    'one byte more',
  );
});

test("another sensor's envelope does not open as this sensor's data, even with the same key", async () => {
  const env = await seal({ sensor: OTHER, keyId: 1, key: KEY, plaintext: READING });
  await throwsCode(
    () => openEnvelope(env, SENSOR, keys({ 1: KEY })),
    'CRYPTO_DECRYPT_FAILED',
    'replayed on another sensor',
  );
});

test('an unknown key id and a wrong key are told apart', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 5, key: KEY, plaintext: READING });
  await throwsCode(() => openEnvelope(env, SENSOR, keys({ 1: KEY })), 'CRYPTO_UNKNOWN_KEY_ID', 'unknown id');
  await throwsCode(() => openEnvelope(env, SENSOR, keys({ 5: randomBytes(32) })), 'CRYPTO_DECRYPT_FAILED', 'wrong key');
});

test('an unknown version says which version this build reads', async () => {
  const env = await seal({ sensor: SENSOR, keyId: 1, key: KEY, plaintext: READING });
  env[0] = 2;
  try {
    parseEnvelope(env);
    assert.unreachable('accepted version 2');
  } catch (err) {
    assert.ok(isItradeError(err, 'CRYPTO_ENVELOPE_MALFORMED'));
    assert.match((err as Error).message, /version 2 is not supported \(this build reads version 1\)/);
  }
});

test('bad inputs to seal: key length, key id range, sensor address', async () => {
  await throwsCode(
    () => seal({ sensor: SENSOR, keyId: 1, key: KEY.subarray(0, 16), plaintext: READING }),
    'CRYPTO_KEYFILE_INVALID',
  );
  await throwsCode(() => seal({ sensor: SENSOR, keyId: 0, key: KEY, plaintext: READING }), 'CRYPTO_UNKNOWN_KEY_ID');
  await throwsCode(
    () => seal({ sensor: SENSOR, keyId: 2 ** 32, key: KEY, plaintext: READING }),
    'CRYPTO_UNKNOWN_KEY_ID',
  );
  await throwsCode(() => seal({ sensor: '0x1234', keyId: 1, key: KEY, plaintext: READING }), 'CRYPTO_ADDRESS_INVALID');
});

test('an address in mixed case (checksummed) is the same sensor', async () => {
  const env = await seal({
    sensor: SENSOR.toUpperCase().replace('0X', '0x'),
    keyId: 1,
    key: KEY,
    plaintext: READING,
  });
  assert.equal(await open(env, SENSOR, keys({ 1: KEY })), READING);
});

test.run();
