// The deployment record and the deploy parameters, without a chain: amounts with units, the
// record's round trip, and clear errors for a missing or malformed file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther, parseUnits } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../config/load.ts';
import {
  checkChainId,
  configuredChainId,
  deploymentFileFor,
  marketplaceParams,
  parseAmount,
  readDeployment,
  writeDeployment,
  type DeploymentRecord,
} from '../../contracts/deployment.ts';
import { isItradeError } from '../../protocol/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'itrade-deployment-'));

test('amounts: ether, gwei and wei to wei, exactly', () => {
  assert.is(parseAmount('0.01 ether'), parseEther('0.01'));
  assert.is(parseAmount('0.000000000000000001 ether'), 1n);
  assert.is(parseAmount('5 gwei'), parseUnits('5', 'gwei'));
  assert.is(parseAmount('123456789012345678901234567890 wei'), 123456789012345678901234567890n);
});

test('marketplaceParams: the defaults, and values from YAML', () => {
  assert.equal(marketplaceParams(parseConfig('', 'd', { env: {} })), {
    dspRegistrationPrice: parseEther('0.01'),
    sensorRegistrationPrice: parseEther('0.001'),
    commissionBps: 500,
  });
  const cfg = parseConfig(
    'chain:\n  deploy:\n    dspRegistrationPrice: 1 gwei\n    sensorRegistrationPrice: 0 wei\n    commissionBps: 0',
    'y',
    { env: {} },
  );
  assert.equal(marketplaceParams(cfg), {
    dspRegistrationPrice: 10n ** 9n,
    sensorRegistrationPrice: 0n,
    commissionBps: 0,
  });
});

test('config rejects an amount without unit, a commission above 10000 bps, a malformed marketplace address', () => {
  for (const [yaml, path] of [
    ['chain:\n  deploy:\n    dspRegistrationPrice: "100"', 'chain.deploy.dspRegistrationPrice'],
    ['chain:\n  deploy:\n    commissionBps: 10001', 'chain.deploy.commissionBps'],
    ['chain:\n  marketplace: "0x1234"', 'chain.marketplace'],
  ] as const) {
    try {
      parseConfig(yaml, 't', { env: {} });
      assert.unreachable(yaml);
    } catch (err) {
      assert.ok(isItradeError(err, 'CONFIG_INVALID'), String(err));
      assert.match((err as Error).message, path);
    }
  }
});

const record: DeploymentRecord = {
  chainId: 31337,
  marketplace: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  blockNumber: 12,
  transactionHash: '0x' + 'ab'.repeat(32),
  deployer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  deployedAt: '2026-11-24T00:00:00.000Z',
  params: { dspRegistrationPrice: '1', sensorRegistrationPrice: '2', commissionBps: 3 },
  implementations: {
    principal: '0x' + '01'.repeat(20),
    sensor: '0x' + '02'.repeat(20),
    subscription: '0x' + '03'.repeat(20),
  },
};

test('writeDeployment creates the folder; readDeployment reads the same record back', () => {
  const file = join(dir, 'nested', 'local.json');
  writeDeployment(file, record);
  assert.equal(readDeployment(file), record);
});

test('readDeployment: a missing, malformed or incomplete file is CHAIN_DEPLOYMENT_MISSING naming the file', () => {
  const bad = join(dir, 'bad.json');
  const cases: [string, string | undefined][] = [
    [join(dir, 'absent.json'), undefined],
    [bad, '{ not json'],
    [bad, JSON.stringify({ ...record, marketplace: 'nope' })],
    [bad, JSON.stringify({ ...record, chainId: undefined })],
  ];
  for (const [file, text] of cases) {
    if (text !== undefined) writeFileSync(file, text);
    try {
      readDeployment(file);
      assert.unreachable(String(text));
    } catch (err) {
      assert.ok(isItradeError(err, 'CHAIN_DEPLOYMENT_MISSING'), String(err));
      assert.ok((err as Error).message.includes(file));
    }
  }
});

test('one record per chain: {chainId} in chain.deploymentFile, and the chain id the configuration names', () => {
  const defaults = parseConfig('', 'd', { env: {} });
  assert.is(defaults.chain.deploymentFile, '.cache/deployments/{chainId}.json');
  assert.is(deploymentFileFor(defaults, 11155111), '.cache/deployments/11155111.json');
  assert.is(configuredChainId(defaults), 31337, "the local stack's");
  assert.is(configuredChainId(parseConfig('stack:\n  chain:\n    chainId: 1337', 'y', { env: {} })), 1337);
  assert.is(configuredChainId(parseConfig('chain:\n  rpcUrl: https://rpc.example.org', 'y', { env: {} })), undefined);
  const named = parseConfig(
    'chain:\n  rpcUrl: https://rpc.example.org\n  chainId: 11155111\n  deploymentFile: deploy/{chainId}/m.json',
    'y',
    { env: {} },
  );
  assert.is(configuredChainId(named), 11155111);
  assert.is(deploymentFileFor(named, 11155111), 'deploy/11155111/m.json');
  assert.is(deploymentFileFor(parseConfig('chain:\n  deploymentFile: fixed.json', 'y', { env: {} }), 5), 'fixed.json');
});

test('checkChainId: silent when nothing is named or the node agrees, CHAIN_WRONG_NETWORK naming both otherwise', () => {
  checkChainId(undefined, 1, 'n');
  checkChainId(31337, 31337, 'n');
  try {
    checkChainId(11155111, 1, 'https://rpc.example.org');
    assert.unreachable('accepted');
  } catch (err) {
    assert.ok(isItradeError(err, 'CHAIN_WRONG_NETWORK'), String(err));
    assert.match((err as Error).message, 'https://rpc.example.org serves chain 1, but chain 11155111 is configured');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
