// Where `npm run deploy` deploys and with which key, without a chain: the local stack's anvil
// (from its process record) with anvil's dev key by default, any other node only with
// ITRADE_DEPLOYER_KEY.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANVIL_DEV_KEY, deployTarget } from '../../contracts/deploy.ts';
import { isItradeError } from '../../protocol/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'itrade-deploy-target-'));
const config = (name: string, yaml: string) => {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
};
const local = config('local.yaml', `stack:\n  dir: ${join(dir, 'stack')}\n  chain:\n    port: 18999\n`);
const remote = config('remote.yaml', 'chain:\n  rpcUrl: https://rpc.example.org\n');

function failure(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

test("by default: the local stack anvil on its configured port, with anvil's first dev key", () => {
  const t = deployTarget({ config: local, env: {} });
  assert.equal([t.rpcUrl, t.local, t.key], ['http://127.0.0.1:18999', true, ANVIL_DEV_KEY]);
  assert.is(new Wallet(ANVIL_DEV_KEY).address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
});

test('the local stack on a port it picked at start-up: the endpoint in its process record', () => {
  mkdirSync(join(dir, 'stack', 'chain'), { recursive: true });
  const record = {
    pid: 0,
    marker: 'anvil',
    ports: { port: 23456 },
    endpoint: 'http://127.0.0.1:23456',
    logFile: '',
    startedAt: '',
  };
  writeFileSync(join(dir, 'stack', 'chain', 'process.json'), JSON.stringify(record));
  assert.is(deployTarget({ config: local, env: {} }).rpcUrl, 'http://127.0.0.1:23456');
});

test('ITRADE_DEPLOYER_KEY wins, locally too', () => {
  const key = Wallet.createRandom().privateKey;
  assert.is(deployTarget({ config: local, env: { ITRADE_DEPLOYER_KEY: key } }).key, key);
});

test('chain.rpcUrl or --rpc-url: not local, and no key without ITRADE_DEPLOYER_KEY', () => {
  const e = failure(() => deployTarget({ config: remote, env: {} }));
  assert.ok(isItradeError(e, 'CHAIN_DEPLOYER_KEY'), String(e));
  assert.match(e.message, 'https://rpc.example.org');
  const e2 = failure(() => deployTarget({ config: local, rpcUrl: 'http://10.0.0.1:8545', env: {} }));
  assert.ok(isItradeError(e2, 'CHAIN_DEPLOYER_KEY'), String(e2));
  const key = Wallet.createRandom().privateKey;
  const t = deployTarget({ config: remote, rpcUrl: 'wss://other.example.org', env: { ITRADE_DEPLOYER_KEY: key } });
  assert.equal([t.rpcUrl, t.local, t.key], ['wss://other.example.org', false, key]);
});

test('a malformed key or RPC URL is refused before anything is sent', () => {
  const e = failure(() => deployTarget({ config: local, env: { ITRADE_DEPLOYER_KEY: 'hunter2' } }));
  assert.ok(isItradeError(e, 'CHAIN_DEPLOYER_KEY'), String(e));
  assert.not.match(e.message, 'hunter2');
  const e2 = failure(() => deployTarget({ config: local, rpcUrl: 'localhost:8545', env: {} }));
  assert.ok(isItradeError(e2, 'CHAIN_RPC'), String(e2));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
