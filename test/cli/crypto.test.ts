// `itrade crypto` as a user runs it (a child process, stdin/stdout as mosquitto_pub/_sub use them).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeKeyMessage } from '../../protocol/key-exchange.ts';
import { toBase64 } from '../../protocol/bytes.ts';
import { KeyringFolder, PrincipalKey, wrapSensorKey } from '../../sdk/node.ts';
import { fromRoot } from '../../lib/paths.ts';

const SENSOR = `0x${'ab'.repeat(20)}`;
const BUYER = `0x${'cd'.repeat(20)}`;
const dir = mkdtempSync(join(tmpdir(), 'itrade-tool-'));
const sellerDir = join(dir, 'seller-keys');
const buyerDir = join(dir, 'buyer-keys');

function tool(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [fromRoot('bin', 'itrade.mjs'), 'crypto', ...args], {
    cwd: fromRoot(),
    input,
    maxBuffer: 1 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('keygen, seal with flags, decrypt a mosquitto_sub line: the reading comes back', () => {
  const k = tool(['keygen', '--sensor', SENSOR, '--dir', sellerDir]);
  assert.is(k.code, 0, k.stderr);
  assert.is(JSON.parse(k.stdout.toString()).keyId, 1);
  assert.is(statSync(join(sellerDir, `${SENSOR}.json`)).mode & 0o777, 0o600);

  const s = tool(['seal', '--sensor', SENSOR, '--dir', sellerDir, '--type', '1', '--value', '48.5', '--seq', '9']);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stdout[0], 1, 'raw envelope bytes on stdout, version 1');
  assert.not.ok(s.stdout.includes(Buffer.from('48.5')), 'no plaintext in the envelope');

  const line = `sensors/${SENSOR} ${s.stdout.toString('hex')}\n`;
  const d = tool(['decrypt', '--dir', sellerDir], line);
  assert.is(d.code, 0, d.stderr);
  const out = JSON.parse(d.stdout.toString());
  assert.equal(
    { sensor: out.sensor, keyId: out.keyId, seq: out.seq, type: out.type, value: out.value, unit: out.unit },
    { sensor: SENSOR, keyId: 1, seq: 9, type: 1, value: 48.5, unit: '%RH' },
  );
  assert.type(out.latencyMs, 'number');
});

test('seal reads a reading as JSON from stdin; decrypt --raw reads one binary envelope', () => {
  const reading = { seq: 1, ts: 1767225600123, type: 3, value: 4.2, unit: 'NTU' };
  const s = tool(['seal', '--sensor', SENSOR, '--dir', sellerDir], JSON.stringify(reading));
  assert.is(s.code, 0, s.stderr);
  const d = tool(['decrypt', '--dir', sellerDir, '--raw', '--sensor', SENSOR], s.stdout);
  assert.is(d.code, 0, d.stderr);
  const { seq, ts, type, value, unit } = JSON.parse(d.stdout.toString());
  assert.equal({ seq, ts, type, value, unit }, reading);
});

test('decrypt reports a tampered or foreign line with its code and goes on with the next', () => {
  const env = tool(['seal', '--sensor', SENSOR, '--dir', sellerDir, '--value', '20']).stdout;
  const bad = Buffer.from(env);
  bad[20]! ^= 1;
  const other = `0x${'ef'.repeat(20)}`;
  const lines = [
    `sensors/${SENSOR} ${bad.toString('hex')}`,
    `sensors/${other} ${env.toString('hex')}`,
    `sensors/${SENSOR} zz`,
    `sensors/${SENSOR} ${env.toString('hex')}`,
  ].join('\n');
  const d = tool(['decrypt', '--dir', sellerDir], lines);
  assert.is(d.code, 1, 'non-zero exit when a line failed');
  assert.match(d.stderr, 'ITRADE_ERR_CRYPTO_DECRYPT_FAILED');
  assert.match(d.stderr, 'ITRADE_ERR_CRYPTO_KEYFILE_INVALID'); // no keys for the other sensor
  assert.match(d.stderr, 'ITRADE_ERR_CRYPTO_ENVELOPE_MALFORMED');
  assert.is(d.stdout.toString().trim().split('\n').length, 1, 'the good line still decrypted');
});

test('rsa-keygen, then unwrap a key answer into the buyer keys folder, then decrypt as the buyer', async () => {
  const keyFile = join(dir, 'buyer.pem');
  const g = tool(['rsa-keygen', '--out', keyFile]);
  assert.is(g.code, 0, g.stderr);
  assert.match(g.stdout.toString(), /^-----BEGIN PUBLIC KEY-----/);
  assert.is(statSync(keyFile).mode & 0o777, 0o600);

  const seller = await PrincipalKey.generate();
  const ring = new KeyringFolder(sellerDir).get(SENSOR);
  const w = await wrapSensorKey(
    g.stdout.toString(),
    BUYER,
    { sensor: SENSOR, keyId: 1, key: ring.get(1)!.key },
    seller,
  );
  const answer = encodeKeyMessage({
    id: 'r1',
    sensor: SENSOR,
    keyId: 1,
    sinceMs: 5,
    untilMs: null,
    wrapped: toBase64(w.wrapped),
    signature: toBase64(w.signature),
  });
  const sellerPem = join(dir, 'seller-public.pem');
  writeFileSync(sellerPem, seller.publicKeyPem());
  const unwrap = ['unwrap', '--buyer', BUYER, '--key', keyFile, '--dir', buyerDir, '--seller-key', sellerPem];
  const u = tool(unwrap, Buffer.from(answer));
  assert.is(u.code, 0, u.stderr);
  assert.equal(JSON.parse(u.stdout.toString()), { sensor: SENSOR, keyId: 1 });
  assert.is(statSync(join(buyerDir, `${SENSOR}.json`)).mode & 0o777, 0o600);
  assert.not.ok(
    readFileSync(join(buyerDir, `${SENSOR}.json`), 'utf8').includes('current'),
    'a buyer keyring cannot seal',
  );

  const env = tool(['seal', '--sensor', SENSOR, '--dir', sellerDir, '--value', '19.5']).stdout;
  const d = tool(['decrypt', '--dir', buyerDir, '--sensor', SENSOR], env.toString('hex'));
  assert.is(d.code, 0, d.stderr);
  assert.is(JSON.parse(d.stdout.toString()).value, 19.5);

  const refused = tool(
    ['unwrap', '--buyer', BUYER, '--key', keyFile, '--dir', buyerDir],
    JSON.stringify({ id: 'r2', error: { code: 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED', message: 'no subscription' } }),
  );
  assert.is(refused.code, 5, 'the gateway refused: exit 5 (docs/cli.md)');
  assert.match(refused.stderr, 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
});

test('bad arguments get a usage message (exit 2), not a stack trace', () => {
  const r = tool(['seal', '--sensor', SENSOR, '--dir', sellerDir, '--value', 'warm']);
  assert.is(r.code, 2);
  assert.match(r.stderr, "option '--value <v>' argument 'warm' is invalid");
  const m = tool(['keygen', '--sensor', '0x12', '--dir', sellerDir]);
  assert.is(m.code, 1);
  assert.match(m.stderr, 'ITRADE_ERR_CRYPTO_ADDRESS_INVALID');
  assert.not.match(m.stderr, '    at ');
});

test.run();
