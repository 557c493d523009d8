import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fresh, Profile } from '../../participant/profile.ts';
import { isItradeError } from '../../protocol/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'itrade-profile-'));
const MARKET = `0x${'ab'.repeat(20)}`;

function throwsCode(fn: () => unknown, name: Parameters<typeof isItradeError>[1]): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isItradeError(err, name), String(err));
    return;
  }
  assert.unreachable(`expected ${name}`);
}

test('a new profile holds a fresh account in an owner-only file and loads back', () => {
  const dir = join(root, 'a');
  const p = Profile.create(dir, { name: 'a', chainId: 31337, marketplace: MARKET.toUpperCase().replace('0X', '0x') });
  assert.is(statSync(Profile.file(dir)).mode & 0o777, 0o600);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  const q = Profile.load(dir);
  assert.is(q.address, p.address);
  assert.is(q.data.marketplace, MARKET);
  assert.is(q.wallet(null as never).address.toLowerCase(), p.address);
  throwsCode(() => Profile.create(dir, { name: 'a', chainId: 31337, marketplace: MARKET }), 'SIM_PROFILE');
});

test('an account from the environment is referenced, never written to the file', () => {
  const w = Wallet.createRandom();
  const dir = join(root, 'env');
  const p = Profile.create(dir, {
    name: 'e',
    chainId: 1,
    marketplace: MARKET,
    keyEnv: 'MY_KEY',
    env: { MY_KEY: w.privateKey },
  });
  assert.is(p.address, w.address.toLowerCase());
  assert.is(p.data.account.privateKey, undefined);
  assert.is(p.wallet(null as never, { MY_KEY: w.privateKey }).address, w.address);
  throwsCode(() => p.wallet(null as never, {}), 'SIM_PROFILE');
  throwsCode(() => p.wallet(null as never, { MY_KEY: Wallet.createRandom().privateKey }), 'SIM_PROFILE');
});

test('another chain or marketplace is refused as stale; missing parts are named', () => {
  const p = Profile.load(join(root, 'a'));
  throwsCode(() => p.checkMarket(1, MARKET), 'SIM_STATE_STALE');
  throwsCode(() => p.checkMarket(31337, `0x${'cd'.repeat(20)}`), 'SIM_STATE_STALE');
  p.checkMarket(31337, MARKET);
  throwsCode(() => p.principal(), 'SIM_PROFILE');
  throwsCode(() => p.sensor(`0x${'11'.repeat(20)}`), 'SIM_PROFILE');
  throwsCode(() => Profile.load(join(root, 'nothing-here')), 'SIM_PROFILE');
});

test('a profile file others can read is refused, like an ssh key', () => {
  chmodSync(Profile.file(join(root, 'a')), 0o644);
  throwsCode(() => Profile.load(join(root, 'a')), 'CRYPTO_KEYFILE_PERMISSIONS');
});

test('fresh(): a token is used only while it has the margin left', () => {
  assert.ok(fresh({ token: 't', expiresAt: 1000 }, 100, 800));
  assert.not.ok(fresh({ token: 't', expiresAt: 1000 }, 300, 800));
  assert.not.ok(fresh(undefined, 0, 0));
});

test.run();
