// The SDK does its RSA and AES-GCM with Web Crypto; the wire formats were first written with
// node-rsa and node:crypto. These tests prove the bytes interoperate both ways, with the exact
// parameters docs/key-exchange.md states: RSA-OAEP SHA-256 / MGF1-SHA-256, RSASSA-PSS SHA-256 /
// MGF1-SHA-256 with a 20-byte salt, standard base64, SPKI and PKCS#8 PEM.
import NodeRSA from 'node-rsa';
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concatBytes, fromBase64, toBase64 } from '../../../protocol/bytes.ts';
import { openEnvelope, sealEnvelope } from '../../../sdk/crypto/envelope.ts';
import { PrincipalKey, PSS_SALT_LENGTH, unwrapSensorKey, wrapSensorKey } from '../../../sdk/crypto/rsa.ts';
import { openEnvelopeSync, sealEnvelopeSync } from '../../../sdk/node/envelope-sync.ts';

// What sdk/crypto/rsa.ts passed to node-rsa before it moved to Web Crypto.
const NODE_RSA_OPTIONS = {
  encryptionScheme: { scheme: 'pkcs1_oaep', hash: 'sha256' },
  signingScheme: { scheme: 'pss', hash: 'sha256' },
} as const;
const SENSOR = '0x1234567890abcdef1234567890abcdef12345678';
const BUYER = '0x00000000000000000000000000000000000000b1';
const CONTEXT = Buffer.from('itrade-wrapped-key/1', 'ascii');

// One key pair made by node:crypto, held by each implementation.
const pair = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const nodeRsa = new NodeRSA(pair.privateKey, 'pkcs8-private-pem', NODE_RSA_OPTIONS);
const sdkKey = await PrincipalKey.fromPem(pair.privateKey);
const pss = (saltLength: number) => ({ padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

test('PSS: what node-rsa signed the SDK verifies, and the SDK signature node-rsa verifies', async () => {
  const data = randomBytes(300);
  assert.ok(await sdkKey.publicKey.verify(data, nodeRsa.sign(data)), 'node-rsa -> SDK');
  assert.ok(nodeRsa.verify(data, Buffer.from(await sdkKey.sign(data))), 'SDK -> node-rsa');
  assert.not.ok(await sdkKey.publicKey.verify(randomBytes(300), nodeRsa.sign(data)), 'other data');
});

test('PSS parameters are exactly SHA-256, MGF1-SHA-256, a 20-byte salt (node:crypto as the judge)', async () => {
  const data = randomBytes(100);
  const fromNodeRsa = nodeRsa.sign(data);
  const fromSdk = Buffer.from(await sdkKey.sign(data));
  assert.is(PSS_SALT_LENGTH, 20);
  for (const [who, sig] of [
    ['node-rsa', fromNodeRsa],
    ['SDK', fromSdk],
  ] as const) {
    // node:crypto's PSS uses MGF1 with the signing hash; a wrong salt length fails to verify.
    assert.ok(verify('sha256', data, { key: pair.publicKey, ...pss(20) }, sig), `${who}: salt 20 verifies`);
    assert.not.ok(verify('sha256', data, { key: pair.publicKey, ...pss(32) }, sig), `${who}: salt 32 does not`);
    assert.not.ok(verify('sha1', data, { key: pair.publicKey, ...pss(20) }, sig), `${who}: SHA-1 does not`);
  }
  const byNode = sign('sha256', data, { key: pair.privateKey, ...pss(20) });
  assert.ok(await sdkKey.publicKey.verify(data, byNode), 'node:crypto -> SDK');
});

test('OAEP: SHA-256 with MGF1-SHA-256, each way between the SDK, node-rsa and node:crypto', async () => {
  const blob = randomBytes(57);
  const decryptSdk = async (c: Uint8Array) => Buffer.from(await sdkKey.decrypt(c));
  assert.equal(await decryptSdk(nodeRsa.encrypt(blob)), blob, 'node-rsa -> SDK');
  assert.equal(await decryptSdk(publicEncrypt({ key: pair.publicKey, ...oaep }, blob)), blob, 'node:crypto -> SDK');
  const bySdk = Buffer.from(await sdkKey.publicKey.encrypt(blob));
  assert.equal(Buffer.from(nodeRsa.decrypt(bySdk)), blob, 'SDK -> node-rsa');
  assert.equal(privateDecrypt({ key: pair.privateKey, ...oaep }, bySdk), blob, 'SDK -> node:crypto');
  assert.throws(() => privateDecrypt({ key: pair.privateKey, ...oaep, oaepHash: 'sha1' }, bySdk), 'not SHA-1');
});

test('a key wrapped the old way (node-rsa) unwraps with the SDK, and the other way round', async () => {
  const key = randomBytes(32);
  const blob = Buffer.concat([Buffer.from([1]), Buffer.from(SENSOR.slice(2), 'hex'), Buffer.from([0, 0, 0, 7]), key]);
  const wrapped = nodeRsa.encrypt(blob);
  const signature = nodeRsa.sign(Buffer.concat([CONTEXT, Buffer.from(BUYER.slice(2), 'hex'), wrapped]));
  const got = await unwrapSensorKey(
    sdkKey,
    { wrapped, signature },
    { buyer: BUYER, sensor: SENSOR, keyId: 7, sellerPublicKeyPem: pair.publicKey },
  );
  assert.equal(Buffer.from(got.key), key);

  const w = await wrapSensorKey(pair.publicKey, BUYER, { sensor: SENSOR, keyId: 9, key }, sdkKey);
  const signed = Buffer.concat([CONTEXT, Buffer.from(BUYER.slice(2), 'hex'), w.wrapped]);
  assert.ok(nodeRsa.verify(signed, Buffer.from(w.signature)), 'node-rsa verifies the SDK signature');
  const opened = Buffer.from(nodeRsa.decrypt(Buffer.from(w.wrapped)));
  assert.equal(opened.subarray(21, 25), Buffer.from([0, 0, 0, 9]));
  assert.equal(opened.subarray(25), key);
});

test('PEM: the SDK writes SPKI and PKCS#8, reads what node-rsa and node:crypto write, PKCS#1 too', async () => {
  const gen = await PrincipalKey.generate();
  assert.match(gen.publicKeyPem(), /^-----BEGIN PUBLIC KEY-----\n/);
  assert.match(gen.privateKeyPem(), /^-----BEGIN PRIVATE KEY-----\n/);
  // node:crypto reads them as exactly those formats and writes the same bytes back.
  const priv = createPrivateKey({ key: gen.privateKeyPem(), format: 'pem', type: 'pkcs8' });
  assert.is(priv.export({ type: 'pkcs8', format: 'pem' }), gen.privateKeyPem());
  assert.is(createPublicKey(gen.publicKeyPem()).export({ type: 'spki', format: 'pem' }), gen.publicKeyPem());
  assert.is(sdkKey.publicKeyPem(), pair.publicKey, 'the public half of a loaded key is its SPKI PEM');
  const pkcs1 = nodeRsa.exportKey('pkcs1-private-pem');
  assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
  assert.is((await PrincipalKey.fromPem(pkcs1)).publicKeyPem(), pair.publicKey, 'PKCS#1 private key read');
  assert.is(nodeRsa.exportKey('pkcs8-public-pem').trim(), pair.publicKey.trim(), "node-rsa's public PEM is SPKI");
});

test('base64 in key messages is standard, padded base64 (what Buffer writes), never URL-safe', () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.is(toBase64(bytes), bytes.toString('base64'));
  assert.match(toBase64(bytes), /[+/]/);
  assert.equal(Buffer.from(fromBase64(bytes.toString('base64'))!), bytes);
  assert.is(fromBase64('not base64!'), undefined);
});

test('envelopes: Web Crypto seals what node:crypto opens, and the other way round', async () => {
  const key = randomBytes(32);
  const plaintext = Buffer.from('{"seq":1,"ts":1,"type":0,"value":1,"unit":"Cel"}');
  const web = await sealEnvelope({ sensor: SENSOR, keyId: 3, key, plaintext });
  assert.equal(
    openEnvelopeSync(web, SENSOR, () => key),
    plaintext,
  );
  const sync = sealEnvelopeSync({ sensor: SENSOR, keyId: 3, key, plaintext });
  assert.equal(Buffer.from(await openEnvelope(sync, SENSOR, () => key)), plaintext);
  const nonce = randomBytes(12);
  assert.equal(
    Buffer.from(await sealEnvelope({ sensor: SENSOR, keyId: 3, key, plaintext, nonce })),
    sealEnvelopeSync({ sensor: SENSOR, keyId: 3, key, plaintext, nonce }),
    'byte for byte',
  );
  assert.ok(concatBytes(web).length === plaintext.length + 33);
});

test.run();
