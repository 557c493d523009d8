// Key files on disk (sdk/node/keyring-folder.ts): owner-only, never overwritten, reloaded when
// another process changed them.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring } from '../../../sdk/crypto/keyring.ts';
import { KeyringFolder, readKeyringFile, writeKeyringFile } from '../../../sdk/node/keyring-folder.ts';
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
    const folder = new KeyringFolder(dir);
    const ring = folder.create(SENSOR, 1000);
    assert.is(mode(folder.pathOf(SENSOR)), 0o600);
    assert.is(mode(dir), 0o700);
    assert.is(ring.current().keyId, 1);
  } finally {
    process.umask(old);
  }
});

test('a key file readable by group or others is refused with the chmod fix in the message', () => {
  const path = join(tmp(), 'k.json');
  const ring = Keyring.generate(SENSOR);
  writeKeyringFile(path, ring, { exclusive: true });
  for (const m of [0o644, 0o640, 0o604, 0o660]) {
    chmodSync(path, m);
    const err = throwsCode(() => readKeyringFile(path), 'CRYPTO_KEYFILE_PERMISSIONS');
    assert.match(err.message, `chmod 600 ${path}`);
    assert.match(err.message, `mode 0${m.toString(8)}`);
  }
  chmodSync(path, 0o600);
  assert.equal(readKeyringFile(path).current().key, ring.current().key);
  chmodSync(path, 0o400); // read-only for the owner is fine
  assert.equal(readKeyringFile(path).current().key, ring.current().key);
});

test('creating a key file never overwrites an existing key', () => {
  const folder = new KeyringFolder(tmp());
  const first = folder.create(SENSOR);
  const before = readFileSync(folder.pathOf(SENSOR));
  throwsCode(() => folder.create(SENSOR), 'CRYPTO_KEYFILE_INVALID');
  assert.equal(readFileSync(folder.pathOf(SENSOR)), before);
  assert.equal(readKeyringFile(folder.pathOf(SENSOR)).current().key, first.current().key);
});

test('rotate() saves the file: another reader sees the new key id, the file stays 0600', () => {
  const dir = tmp();
  new KeyringFolder(dir).create(SENSOR, 1_000);
  new KeyringFolder(dir).rotate(SENSOR, 5_000);
  assert.is(mode(join(dir, `${SENSOR}.json`)), 0o600);
  assert.equal(readKeyringFile(join(dir, `${SENSOR}.json`)).keyIds(), [1, 2]);
});

test('the folder picks up a rotation made by another process (the CLI) while the agent runs', () => {
  const dir = tmp();
  const agentView = new KeyringFolder(dir);
  agentView.create(SENSOR, 1_000);
  assert.is(agentView.get(SENSOR).current().keyId, 1);
  new KeyringFolder(dir).rotate(SENSOR, 2_000); // another process
  assert.is(agentView.get(SENSOR).current().keyId, 2);
  assert.equal(agentView.sensors(), [SENSOR]);
  throwsCode(() => agentView.get('0x' + '9'.repeat(40)), 'CRYPTO_KEYFILE_INVALID');
  assert.is(agentView.load('0x' + '9'.repeat(40)), undefined);
});

test('a file under one sensor name that holds another sensor is refused', () => {
  const dir = tmp();
  const other = '0x' + 'ab'.repeat(20);
  writeKeyringFile(join(dir, `${SENSOR}.json`), Keyring.generate(other));
  throwsCode(() => new KeyringFolder(dir).get(SENSOR), 'CRYPTO_KEYFILE_INVALID');
});

test('add() makes the buyer file on first use and never changes a held key', () => {
  const folder = new KeyringFolder(tmp());
  const seller = Keyring.generate(SENSOR);
  folder.add(SENSOR, seller.current());
  assert.equal(readKeyringFile(folder.pathOf(SENSOR)).get(1)!.key, seller.current().key);
  throwsCode(() => folder.add(SENSOR, { ...seller.current(), key: Buffer.alloc(32, 1) }), 'CRYPTO_KEYFILE_INVALID');
});

test.run();
