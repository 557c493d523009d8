import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePublicKey, PrincipalKey, unwrapSensorKey, wrapSensorKey } from '../../../sdk/crypto/rsa.ts';
import { loadPrincipalKey, savePrincipalKey } from '../../../sdk/node/principal-key-file.ts';
import { isItradeError, type ErrorName } from '../../../protocol/errors.ts';

const SENSOR_A = '0x1234567890abcdef1234567890abcdef12345678';
const SENSOR_B = '0x00000000000000000000000000000000000000b2';
const BUYER = '0x00000000000000000000000000000000000000c3';
const dir = mkdtempSync(join(tmpdir(), 'itrade-rsa-'));

const [seller, buyer, stranger] = await Promise.all([1, 2, 3].map(() => PrincipalKey.generate()));
const key = randomBytes(32);

async function throwsCode(fn: () => unknown, name: ErrorName, what = ''): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isItradeError(err, name), `${what}: expected ${name}, got ${(err as Error).message}`);
    return err as Error;
  }
  return assert.unreachable(`${what}: expected ${name}`) as never;
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the on-chain public key is an SPKI PEM of at least 2048 bits', async () => {
  const pem = buyer.publicKeyPem();
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.is((await parsePublicKey(pem)).bits, 2048);
});

test('wrap and unwrap: the buyer gets the sensor key, bound to sensor and key id, signed by the seller', async () => {
  const w = await wrapSensorKey(buyer.publicKeyPem(), BUYER, { sensor: SENSOR_A, keyId: 3, key }, seller);
  assert.is(w.wrapped.length, 256);
  assert.not.ok(Buffer.from(w.wrapped).includes(key), 'the key is not in the wrapped bytes');
  const k = await unwrapSensorKey(buyer, w, {
    buyer: BUYER,
    sensor: SENSOR_A,
    keyId: 3,
    sellerPublicKeyPem: seller.publicKeyPem(),
  });
  assert.equal({ ...k, key: Buffer.from(k.key) }, { sensor: SENSOR_A, keyId: 3, key });
});

test('the padding is standard RSA-OAEP with SHA-256 (a buyer in any language can unwrap)', async () => {
  const path = join(dir, 'buyer.pem');
  savePrincipalKey(buyer, path);
  const w = await wrapSensorKey(buyer.publicKeyPem(), BUYER, { sensor: SENSOR_A, keyId: 1, key }, seller);
  const blob = privateDecrypt(
    { key: readFileSync(path, 'utf8'), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(w.wrapped),
  );
  assert.is(blob.length, 57);
  assert.is(blob[0], 1);
  assert.is(`0x${blob.subarray(1, 21).toString('hex')}`, SENSOR_A);
  assert.is(blob.readUInt32BE(21), 1);
  assert.equal(blob.subarray(25), key);
});

test('another private key cannot unwrap', async () => {
  const w = await wrapSensorKey(buyer.publicKeyPem(), BUYER, { sensor: SENSOR_A, keyId: 1, key }, seller);
  await throwsCode(
    () => unwrapSensorKey(stranger, w, { buyer: BUYER, sensor: SENSOR_A, keyId: 1 }),
    'CRYPTO_UNWRAP_FAILED',
  );
});

test("a wrapped key cannot be passed off as another sensor's or another key id's", async () => {
  const w = await wrapSensorKey(buyer.publicKeyPem(), BUYER, { sensor: SENSOR_A, keyId: 1, key }, seller);
  const e1 = await throwsCode(
    () => unwrapSensorKey(buyer, w, { buyer: BUYER, sensor: SENSOR_B, keyId: 1 }),
    'CRYPTO_UNWRAP_FAILED',
    'swapped sensor',
  );
  assert.match(e1.message, `belongs to sensor ${SENSOR_A}`);
  await throwsCode(
    () => unwrapSensorKey(buyer, w, { buyer: BUYER, sensor: SENSOR_A, keyId: 2 }),
    'CRYPTO_UNWRAP_FAILED',
    'swapped key id',
  );
});

test("a key not signed by the sensor's seller (e.g. forged by a relay) is refused", async () => {
  // Anyone can wrap for the buyer's public key; only the seller can sign.
  const forged = await wrapSensorKey(
    buyer.publicKeyPem(),
    BUYER,
    { sensor: SENSOR_A, keyId: 1, key: randomBytes(32) },
    stranger,
  );
  await throwsCode(
    () =>
      unwrapSensorKey(buyer, forged, {
        buyer: BUYER,
        sensor: SENSOR_A,
        keyId: 1,
        sellerPublicKeyPem: seller.publicKeyPem(),
      }),
    'CRYPTO_UNWRAP_FAILED',
  );
  const real = await wrapSensorKey(buyer.publicKeyPem(), BUYER, { sensor: SENSOR_A, keyId: 1, key }, seller);
  const tampered = { wrapped: Buffer.from(real.wrapped), signature: real.signature };
  tampered.wrapped[10]! ^= 1;
  await throwsCode(
    () =>
      unwrapSensorKey(buyer, tampered, {
        buyer: BUYER,
        sensor: SENSOR_A,
        keyId: 1,
        sellerPublicKeyPem: seller.publicKeyPem(),
      }),
    'CRYPTO_UNWRAP_FAILED',
  );
  const otherBuyer = '0x00000000000000000000000000000000000000d4';
  await throwsCode(
    () =>
      unwrapSensorKey(buyer, real, {
        buyer: otherBuyer,
        sensor: SENSOR_A,
        keyId: 1,
        sellerPublicKeyPem: seller.publicKeyPem(),
      }),
    'CRYPTO_UNWRAP_FAILED',
  );
});

test('a private key file is written 0600, never overwritten, and refused when others can read it', async () => {
  const path = join(dir, 'seller.pem');
  savePrincipalKey(seller, path);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  await throwsCode(() => savePrincipalKey(seller, path), 'CRYPTO_KEYFILE_INVALID');
  const loaded = await loadPrincipalKey(path);
  assert.is(loaded.publicKeyPem(), seller.publicKeyPem());
  chmodSync(path, 0o644);
  const err = await throwsCode(() => loadPrincipalKey(path), 'CRYPTO_KEYFILE_PERMISSIONS');
  assert.match(err.message, 'chmod 600');
});

test('short, malformed or missing public keys are refused', async () => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const e = await throwsCode(
    () => wrapSensorKey(weak, BUYER, { sensor: SENSOR_A, keyId: 1, key }, seller),
    'CRYPTO_RSA_KEY_INVALID',
  );
  assert.match(e.message, '1024 bits');
  await throwsCode(
    () => parsePublicKey('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'),
    'CRYPTO_RSA_KEY_INVALID',
  );
  await throwsCode(() => parsePublicKey(''), 'CRYPTO_RSA_KEY_INVALID');
  const e2 = await throwsCode(() => PrincipalKey.fromPem(buyer.publicKeyPem()), 'CRYPTO_RSA_KEY_INVALID');
  assert.match(e2.message, 'holds a public key, not a private one');
  await throwsCode(() => PrincipalKey.generate(1024), 'CRYPTO_RSA_KEY_INVALID');
});

test.run();
