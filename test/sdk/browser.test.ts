// The SDK in a real browser: its browser entry (sdk/index.ts) bundled by esbuild for
// platform=browser (a Node.js builtin in the graph fails the build), loaded in Debian's Chromium
// driven headless by playwright-core, served from 127.0.0.1 (a secure context, so
// crypto.subtle is there). Every result of the page is checked on the Node side with node:crypto,
// and the page opens what Node sealed and wrapped: the wire formats are the same in both.
import {
  constants,
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
import { fromRoot } from '../../lib/paths.ts';
import { openEnvelopeSync, sealEnvelopeSync } from '../../sdk/node/envelope-sync.ts';
import { openPage, type BrowserPage } from '../helpers/browser.ts';

const SENSOR = '0x1234567890abcdef1234567890abcdef12345678';
const BUYER = '0x00000000000000000000000000000000000000b1';
const CONTEXT = Buffer.from('itrade-wrapped-key/1');
const PSS = (saltLength: number) => ({ padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

let browser: BrowserPage;
const inPage = <T>(fn: string, ...args: unknown[]) => browser.call<T>(fn, ...args);

test.before(async () => {
  browser = await openPage(fromRoot('test', 'sdk', 'browser', 'page.ts'));
  assert.equal(browser.errors, [], 'the bundle loads without an error');
});

test.after(async () => {
  await browser?.close();
});

test('the page runs the SDK without a Buffer polyfill', async () => {
  assert.is(await inPage('hasBuffer'), false);
  assert.match(
    await browser.page.evaluate(
      () => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent,
    ),
    /Chrome\//,
  );
});

test('an envelope sealed in the browser opens in Node.js, and one sealed by Node.js opens in the browser', async () => {
  const key = randomBytes(32);
  const reading = '{"seq":7,"ts":1767225600123,"type":0,"value":21.5,"unit":"Cel"}';
  const sealed = Buffer.from(await inPage<string>('seal', SENSOR, key.toString('hex'), 3, reading), 'hex');
  assert.is(sealed.readUInt32BE(1), 3);
  assert.is(openEnvelopeSync(sealed, SENSOR, (id) => (id === 3 ? key : undefined)).toString(), reading);
  const byNode = sealEnvelopeSync({ sensor: SENSOR, keyId: 9, key, plaintext: Buffer.from(reading) });
  assert.is(await inPage('open', SENSOR, key.toString('hex'), byNode.toString('hex')), reading);
});

test('a keyring in page memory seals, rotates and still opens its old envelopes', async () => {
  const r = await inPage<{ keyIds: number[]; opened: string; json: string }>('keyring', SENSOR);
  assert.equal(r.keyIds, [1, 2]);
  assert.is(r.opened, '{"seq":1}');
  assert.is(JSON.parse(r.json).format, 'itrade-keyring/1');
});

test('RSA in the browser: SPKI and PKCS#8 PEM that node:crypto reads; PSS with a 20-byte salt', async () => {
  const k = await inPage<{ publicKeyPem: string; privateKeyPem: string; bits: number }>('rsa');
  assert.is(k.bits, 2048);
  assert.is(createPublicKey(k.publicKeyPem).export({ type: 'spki', format: 'pem' }), k.publicKeyPem);
  assert.match(k.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  const data = randomBytes(64);
  const sig = Buffer.from(await inPage<string>('sign', data.toString('hex')), 'hex');
  assert.ok(verify('sha256', data, { key: k.publicKeyPem, ...PSS(20) }, sig), 'node:crypto verifies');
  assert.not.ok(verify('sha256', data, { key: k.publicKeyPem, ...PSS(32) }, sig), 'only with salt 20');
});

test('a key wrapped by Node.js unwraps in the browser, and one wrapped in the browser unwraps in Node.js', async () => {
  const inBrowser = await inPage<{ publicKeyPem: string }>('rsa');
  const seller = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sellerPem = seller.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const key = randomBytes(32);
  const blob = Buffer.concat([Buffer.from([1]), Buffer.from(SENSOR.slice(2), 'hex'), Buffer.from([0, 0, 0, 5]), key]);
  const wrapped = publicEncrypt({ key: inBrowser.publicKeyPem, ...OAEP }, blob);
  const signature = sign('sha256', Buffer.concat([CONTEXT, Buffer.from(BUYER.slice(2), 'hex'), wrapped]), {
    key: seller.privateKey,
    ...PSS(20),
  });
  const w = { wrapped: wrapped.toString('hex'), signature: signature.toString('hex') };
  assert.equal(await inPage('unwrap', w, BUYER, SENSOR, sellerPem), {
    sensor: SENSOR,
    keyId: 5,
    key: key.toString('hex'),
  });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    type: 'spki',
    format: 'pem',
  });
  assert.is(await inPage('badUnwrap', w, BUYER, SENSOR, stranger.toString()), 'ITRADE_ERR_CRYPTO_UNWRAP_FAILED');

  const buyer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const buyerPem = buyer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const back = await inPage<{ wrapped: string; signature: string }>(
    'wrap',
    buyerPem,
    BUYER,
    SENSOR,
    key.toString('hex'),
  );
  const opened = privateDecrypt({ key: buyer.privateKey, ...OAEP }, Buffer.from(back.wrapped, 'hex'));
  assert.equal(opened.subarray(25), key);
  assert.is(opened.readUInt32BE(21), 4);
  const signed = Buffer.concat([CONTEXT, Buffer.from(BUYER.slice(2), 'hex'), Buffer.from(back.wrapped, 'hex')]);
  assert.ok(verify('sha256', signed, { key: inBrowser.publicKeyPem, ...PSS(20) }, Buffer.from(back.signature, 'hex')));
});

test.run();
