import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, KeyringStore } from '../../../sdk/crypto/keyring.ts';
import { isItradeError, type ErrorName } from '../../../protocol/errors.ts';

const SENSOR = '0x1234567890abcdef1234567890abcdef12345678';
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'itrade-keyring-'));
  dirs.push(d);
  return d;
}

function throwsCode(fn: () => unknown, name: ErrorName): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(isItradeError(err, name), `expected ${name}, got ${(err as Error).message}`);
    return err as Error;
  }
  return assert.unreachable(`expected ${name}`) as never;
}

const mode = (p: string) => statSync(p).mode & 0o777;

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a new key file is owner-only (0600) even with a permissive umask, in a 0700 folder', () => {
  const dir = join(tmp(), 'keys');
  const old = process.umask(0);
  try {
    const ring = new KeyringStore(dir).create(SENSOR, 1000);
    assert.is(mode(ring.path), 0o600);
    assert.is(mode(dir), 0o700);
    assert.is(ring.current().keyId, 1);
    assert.is(ring.current().key.length, 32);
  } finally {
    process.umask(old);
  }
});

test('a key file readable by group or others is refused with the chmod fix in the message', () => {
  const ring = Keyring.create(join(tmp(), 'k.json'), SENSOR);
  for (const m of [0o644, 0o640, 0o604, 0o660]) {
    chmodSync(ring.path, m);
    const err = throwsCode(() => Keyring.load(ring.path), 'CRYPTO_KEYFILE_PERMISSIONS');
    assert.match(err.message, `chmod 600 ${ring.path}`);
    assert.match(err.message, `mode 0${m.toString(8)}`);
  }
  chmodSync(ring.path, 0o600);
  assert.equal(Keyring.load(ring.path).current().key, ring.current().key);
  chmodSync(ring.path, 0o400); // read-only for the owner is fine
  assert.equal(Keyring.load(ring.path).current().key, ring.current().key);
});

test('creating a key file never overwrites an existing key', () => {
  const path = join(tmp(), 'k.json');
  const first = Keyring.create(path, SENSOR);
  const before = readFileSync(path);
  throwsCode(() => Keyring.create(path, SENSOR), 'CRYPTO_KEYFILE_INVALID');
  assert.equal(readFileSync(path), before);
  assert.equal(Keyring.load(path).current().key, first.current().key);
});

test('rotation: a new current key id, old keys kept, old data still decrypts after a reload', () => {
  const path = join(tmp(), 'k.json');
  const ring = Keyring.create(path, SENSOR, 1_000);
  const oldEnvelope = ring.seal(Buffer.from('reading under key 1'));
  const k2 = ring.rotate(5_000);
  assert.is(k2.keyId, 2);
  assert.not.equal(k2.key, ring.get(1)!.key);
  const newEnvelope = ring.seal(Buffer.from('reading under key 2'));
  assert.is(newEnvelope.readUInt32BE(1), 2);

  const reloaded = Keyring.load(path);
  assert.is(mode(path), 0o600);
  assert.is(reloaded.current().keyId, 2);
  assert.equal(reloaded.keyIds(), [1, 2]);
  assert.is(reloaded.open(oldEnvelope).toString(), 'reading under key 1');
  assert.is(reloaded.open(newEnvelope).toString(), 'reading under key 2');
  assert.equal(reloaded.period(1), { sinceMs: 1_000, untilMs: 5_000 });
  assert.equal(reloaded.period(2), { sinceMs: 5_000, untilMs: null });
});

test('rotation periods never overlap, even when the clock steps back', () => {
  const ring = Keyring.create(join(tmp(), 'k.json'), SENSOR, 10_000);
  const k2 = ring.rotate(9_000);
  assert.ok(k2.sinceMs > 10_000);
  assert.equal(ring.period(1), { sinceMs: 10_000, untilMs: k2.sinceMs });
});

test('malformed key files are refused with a clear message', () => {
  const d = tmp();
  const write = (name: string, body: string) => {
    const p = join(d, name);
    writeFileSync(p, body, { mode: 0o600 });
    return p;
  };
  throwsCode(() => Keyring.load(write('a.json', 'not json')), 'CRYPTO_KEYFILE_INVALID');
  throwsCode(
    () => Keyring.load(write('b.json', JSON.stringify({ format: 'other', sensor: SENSOR, keys: [] }))),
    'CRYPTO_KEYFILE_INVALID',
  );
  const short = {
    format: 'itrade-keyring/1',
    sensor: SENSOR,
    current: 1,
    keys: [{ keyId: 1, sinceMs: 0, key: 'AAAA' }],
  };
  const err = throwsCode(() => Keyring.load(write('c.json', JSON.stringify(short))), 'CRYPTO_KEYFILE_INVALID');
  assert.match(err.message, 'key 1: not 32 base64 bytes');
  const dup = {
    format: 'itrade-keyring/1',
    sensor: SENSOR,
    keys: [1, 1].map((keyId) => ({ keyId, sinceMs: 0, key: Buffer.alloc(32).toString('base64') })),
  };
  throwsCode(() => Keyring.load(write('d.json', JSON.stringify(dup))), 'CRYPTO_KEYFILE_INVALID');
  throwsCode(() => Keyring.load(join(d, 'missing.json')), 'CRYPTO_KEYFILE_INVALID');
});

test('a buyer keyring holds received keys only: it opens envelopes but cannot seal', () => {
  const d = tmp();
  const seller = new KeyringStore(join(d, 'seller')).create(SENSOR);
  const env = seller.seal(Buffer.from('hello'));
  const buyer = new KeyringStore(join(d, 'buyer')).getOrCreateEmpty(SENSOR);
  throwsCode(() => buyer.open(env), 'CRYPTO_UNKNOWN_KEY_ID');
  throwsCode(() => buyer.current(), 'CRYPTO_UNKNOWN_KEY_ID');
  buyer.add(seller.current());
  buyer.add(seller.current()); // the same key again is harmless
  assert.is(buyer.open(env).toString(), 'hello');
  throwsCode(() => buyer.add({ ...seller.current(), key: Buffer.alloc(32, 1) }), 'CRYPTO_KEYFILE_INVALID');
  assert.is(mode(buyer.path), 0o600);
  assert.is(Keyring.load(buyer.path).open(env).toString(), 'hello');
});

test('the store picks up a rotation made by another process (the CLI) while the agent runs', () => {
  const dir = tmp();
  const agentView = new KeyringStore(dir);
  agentView.create(SENSOR, 1_000);
  assert.is(agentView.get(SENSOR).current().keyId, 1);
  Keyring.load(new KeyringStore(dir).pathOf(SENSOR)).rotate(2_000); // another process
  assert.is(agentView.get(SENSOR).current().keyId, 2);
  assert.equal(agentView.sensors(), [SENSOR]);
  throwsCode(() => agentView.get('0x' + '9'.repeat(40)), 'CRYPTO_KEYFILE_INVALID');
});

test.run();
