// Where `npm run deploy` deploys, to which chain and with which key, without a chain: the local
// stack's anvil (from its process record) with anvil's dev key and its chain id by default, any
// other node only with ITRADE_DEPLOYER_KEY, checked against --chain-id or chain.chainId if named.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANVIL_DEV_KEY, deployTarget, parseChainId } from '../../contracts/deploy.ts';
import { isItradeError } from '../../protocol/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'itrade-deploy-target-'));
const config = (name: string, yaml: string) => {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
};
const local = config('local.yaml', `stack:\n  dir: ${join(dir, 'stack')}\n  chain:\n    port: 18999\n`);
const remote = config('remote.yaml', 'chain:\n  rpcUrl: https://rpc.example.org\n');
const sepolia = config('sepolia.yaml', 'chain:\n  rpcUrl: https://rpc.example.org\n  chainId: 11155111\n');

function failure(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

test("by default: the local stack anvil on its configured port and chain id, with anvil's first dev key", () => {
  const t = deployTarget({ config: local, env: {} });
  assert.equal([t.rpcUrl, t.local, t.key, t.expectedChainId], ['http://127.0.0.1:18999', true, ANVIL_DEV_KEY, 31337]);
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
  const t = deployTarget({
    config: remote,
    rpcUrl: 'wss://other.example.org',
    chainId: 8453,
    env: { ITRADE_DEPLOYER_KEY: key },
  });
  assert.equal([t.rpcUrl, t.local, t.key, t.expectedChainId], ['wss://other.example.org', false, key, 8453]);
});

test(
  "the chain the node must serve: the local stack's, chain.chainId, " +
    'or --chain-id over both; none named for another node',
  () => {
    const env = { ITRADE_DEPLOYER_KEY: Wallet.createRandom().privateKey };
    assert.is(deployTarget({ config: remote, env }).expectedChainId, undefined);
    assert.is(
      deployTarget({ config: local, rpcUrl: 'http://10.0.0.1:8545', env }).expectedChainId,
      undefined,
      'not the local stack',
    );
    assert.is(deployTarget({ config: sepolia, env }).expectedChainId, 11155111);
    assert.is(deployTarget({ config: sepolia, chainId: 17000, env }).expectedChainId, 17000);
    assert.is(deployTarget({ config: local, chainId: 1337, env }).expectedChainId, 1337);
    assert.is(parseChainId('11155111'), 11155111);
    for (const bad of ['0', '-1', 'sepolia', '1.5', '']) assert.throws(() => parseChainId(bad), /positive integer/);
  },
);

test('a malformed key or RPC URL is refused before anything is sent', () => {
  const e = failure(() => deployTarget({ config: local, env: { ITRADE_DEPLOYER_KEY: 'hunter2' } }));
  assert.ok(isItradeError(e, 'CHAIN_DEPLOYER_KEY'), String(e));
  assert.not.match(e.message, 'hunter2');
  const e2 = failure(() => deployTarget({ config: local, rpcUrl: 'localhost:8545', env: {} }));
  assert.ok(isItradeError(e2, 'CHAIN_RPC'), String(e2));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
