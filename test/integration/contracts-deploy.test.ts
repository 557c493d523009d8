// `npm run deploy` and the gateway's look-up of the marketplace, against the test stack's anvil:
// the CLI deploys with the configured parameters, EIP-1559 fees and the chain id checked, and
// records the address per chain; resolveMarketplace accepts that record and refuses one for
// another chain, an empty address, a non-marketplace or a marketplace of an older API.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractFactory, Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { attachMarketplace, registerPrincipal } from '../../contracts/client.ts';
import { compileSolidity, pick } from '../../contracts/compile.ts';
import { deploy } from '../../contracts/deploy.ts';
import { readDeployment, resolveMarketplace, writeDeployment } from '../../contracts/deployment.ts';
import { freePort } from '../../stack/ports.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { chainProvider, fundedWallet } from '../helpers/chain.ts';
import { services } from '../helpers/services.ts';

const provider = chainProvider();
const rpcUrl = services().rpcUrl;
const dir = mkdtempSync(join(tmpdir(), 'itrade-deploy-'));
const configFile = join(dir, 'itrade.yaml');
const deploymentFile = join(dir, 'deployments', 'test.json');
writeFileSync(
  configFile,
  `chain:\n  deploymentFile: ${deploymentFile}\n  deploy:\n    dspRegistrationPrice: 2 gwei\n    ` +
    `sensorRegistrationPrice: 3 wei\n    commissionBps: 250\n`,
);

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const { ITRADE_DEPLOYER_KEY: _, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'contracts/deploy.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...inherited, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const cfgFor = (chain: Record<string, unknown>) =>
  validateConfig({ chain: { rpcUrl, deploymentFile, ...chain } }, 'test');

test(
  'npm run deploy: deploys with the configured parameters and ' +
    'EIP-1559 fees, owned by the deployer key, and records it',
  async () => {
    const deployer = await fundedWallet(provider);
    const r = await cli(['--rpc-url', rpcUrl, '--chain-id', '31337', '--config', configFile], {
      ITRADE_DEPLOYER_KEY: deployer.privateKey,
    });
    assert.is(r.code, 0, r.out);
    const rec = readDeployment(deploymentFile);
    assert.match(r.out, rec.marketplace);
    assert.is(rec.chainId, 31337);
    assert.is(rec.deployer, deployer.address);
    const m = attachMarketplace(rec.marketplace, provider);
    assert.equal(
      [
        await m.owner(),
        await m.dspRegistrationPrice(),
        await m.sensorRegistrationPrice(),
        await m.commissionBps(),
        await m.principalImplementation(),
      ],
      [deployer.address, 2_000_000_000n, 3n, 250n, rec.implementations.principal],
    );
    assert.equal(rec.params, { dspRegistrationPrice: '2000000000', sensorRegistrationPrice: '3', commissionBps: 250 });
    const receipt = await provider.getTransactionReceipt(rec.transactionHash);
    assert.is(receipt?.blockNumber, rec.blockNumber);
    const tx = await provider.getTransaction(rec.transactionHash);
    assert.is(tx?.type, 2, 'an EIP-1559 transaction');
    assert.ok(tx!.maxFeePerGas! > 0n && tx!.maxPriorityFeePerGas !== null);
    assert.equal(rec.fees, {
      type: 2,
      gasUsed: String(receipt!.gasUsed),
      effectiveGasPrice: String(receipt!.gasPrice),
    });
    assert.match(r.out, /type 2, \d+ gas at [\d.]+ gwei/);
    assert.equal(await resolveMarketplace(cfgFor({}), provider), {
      address: rec.marketplace,
      fromBlock: rec.blockNumber,
      source: 'deployment-file',
    });
  },
);

test(
  'npm run deploy to a node serving another chain than ' + 'named fails with CHAIN_WRONG_NETWORK, sending nothing',
  async () => {
    const deployer = await fundedWallet(provider);
    const out = join(dir, 'wrong-chain.json');
    const named = join(dir, 'named.yaml');
    writeFileSync(named, `chain:\n  chainId: 11155111\n  deploymentFile: ${out}\n`);
    for (const args of [
      ['--chain-id', '11155111', '--config', configFile, '--out', out],
      ['--config', named],
    ]) {
      const r = await cli(['--rpc-url', rpcUrl, ...args], { ITRADE_DEPLOYER_KEY: deployer.privateKey });
      assert.is(r.code, 1);
      assert.match(
        r.out,
        `${rpcUrl} serves chain 31337, but chain 11155111 is configured (chain.chainId or --chain-id) ` +
          '[ITRADE_ERR_CHAIN_WRONG_NETWORK]',
      );
    }
    assert.throws(() => readFileSync(out));
    assert.is(await provider.getTransactionCount(deployer.address), 0);
    // Nobody named the chain: the node's word is taken, and the output says so.
    const r = await cli(['--rpc-url', rpcUrl, '--config', configFile, '--out', out], {
      ITRADE_DEPLOYER_KEY: deployer.privateKey,
    });
    assert.is(r.code, 0, r.out);
    assert.match(
      r.out,
      'on chain 31337 (as the node reports it: name it with --chain-id or chain.chainId to have it checked)',
    );
  },
);

test(
  'one record per chain: deploymentFile with {chainId}; ' +
    "resolveMarketplace picks the node's and checks chain.chainId",
  async () => {
    const perChain = join(dir, 'per-chain', '{chainId}.json');
    const file = join(dir, 'per-chain.yaml');
    writeFileSync(file, `chain:\n  rpcUrl: ${rpcUrl}\n  chainId: 31337\n  deploymentFile: ${perChain}\n`);
    const { file: written, record } = await deploy({
      config: file,
      env: { ITRADE_DEPLOYER_KEY: (await fundedWallet(provider)).privateKey },
    });
    assert.is(written, join(dir, 'per-chain', '31337.json'));
    assert.equal(readDeployment(written), record);
    assert.equal(await resolveMarketplace(cfgFor({ chainId: 31337, deploymentFile: perChain }), provider), {
      address: record.marketplace,
      fromBlock: record.blockNumber,
      source: 'deployment-file',
    });
    const wrong = await failure(resolveMarketplace(cfgFor({ chainId: 5, deploymentFile: perChain }), provider));
    assert.ok(isItradeError(wrong, 'CHAIN_WRONG_NETWORK'), String(wrong));
  },
);

test(
  'npm run deploy to an RPC URL without ITRADE_DEPLOYER_KEY ' + 'fails with CHAIN_DEPLOYER_KEY and writes nothing',
  async () => {
    const out = join(dir, 'never.json');
    const r = await cli(['--rpc-url', rpcUrl, '--config', configFile, '--out', out], {});
    assert.is(r.code, 1);
    assert.match(r.out, `deploy: set ITRADE_DEPLOYER_KEY to deploy to ${rpcUrl}`);
    assert.match(r.out, 'ITRADE_ERR_CHAIN_DEPLOYER_KEY');
    assert.throws(() => readFileSync(out));
  },
);

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

test('deploy(): a node that does not answer is CHAIN_RPC; an unfunded key is CHAIN_DEPLOY', async () => {
  const key = Wallet.createRandom().privateKey;
  const dead = await failure(
    deploy({
      config: configFile,
      rpcUrl: `http://127.0.0.1:${await freePort()}`,
      chainId: 31337,
      env: { ITRADE_DEPLOYER_KEY: key },
    }),
  );
  assert.ok(isItradeError(dead, 'CHAIN_RPC'), String(dead));
  const broke = await failure(
    deploy({ config: configFile, rpcUrl, chainId: 31337, out: join(dir, 'x.json'), env: { ITRADE_DEPLOYER_KEY: key } }),
  );
  assert.ok(isItradeError(broke, 'CHAIN_DEPLOY'), String(broke));
  const malformed = await failure(deploy({ config: configFile, rpcUrl, env: { ITRADE_DEPLOYER_KEY: '0x1234' } }));
  assert.ok(isItradeError(malformed, 'CHAIN_DEPLOYER_KEY'), String(malformed));
});

test(
  'resolveMarketplace refuses a record of another chain, an address ' +
    'without code, a contract that is no marketplace, an older API',
  async () => {
    const { file, record } = await deploy({
      config: configFile,
      rpcUrl,
      chainId: 31337,
      out: join(dir, 'ok.json'),
      env: { ITRADE_DEPLOYER_KEY: (await fundedWallet(provider)).privateKey },
    });
    const other = join(dir, 'other-chain.json');
    writeDeployment(other, { ...record, chainId: 1 });
    const e1 = await failure(resolveMarketplace(cfgFor({ deploymentFile: other }), provider));
    assert.ok(isItradeError(e1, 'CHAIN_DEPLOYMENT_STALE') && /chain 1/.test(e1.message), String(e1));
    const e2 = await failure(resolveMarketplace(cfgFor({ marketplace: Wallet.createRandom().address }), provider));
    assert.ok(isItradeError(e2, 'CHAIN_DEPLOYMENT_STALE') && /no contract/.test(e2.message), String(e2));
    const seller = await fundedWallet(provider);
    const { address: principal } = await registerPrincipal(attachMarketplace(record.marketplace, seller), {
      name: 'p',
      url: '',
      email: '',
      rsaPublicKey: 'k',
    });
    const e3 = await failure(resolveMarketplace(cfgFor({ marketplace: principal }), provider));
    assert.ok(isItradeError(e3, 'CHAIN_DEPLOYMENT_STALE') && /not a DataMarketplace/.test(e3.message), String(e3));
    // The marketplace of main before issue 16 (contracts/bench/v1): a DataMarketplace, but API version 1.
    const v1 = pick(compileSolidity(['contracts/bench/v1/DataMarketplace.sol']), 'DataMarketplace');
    const old = await new ContractFactory(v1.abi, v1.bytecode, seller).deploy(1, 1, 0);
    await old.waitForDeployment();
    const e4 = await failure(resolveMarketplace(cfgFor({ marketplace: await old.getAddress() }), provider));
    assert.ok(
      isItradeError(e4, 'CHAIN_DEPLOYMENT_STALE') && /API version 1, this code needs 2/.test(e4.message),
      String(e4),
    );
    // chain.marketplace wins over the file, and chain.marketplaceBlock says where its events start.
    assert.equal(
      await resolveMarketplace(
        cfgFor({ marketplace: record.marketplace.toLowerCase(), marketplaceBlock: 5, deploymentFile: other }),
        provider,
      ),
      {
        address: record.marketplace,
        fromBlock: 5,
        source: 'config',
      },
    );
    assert.ok(file.endsWith('ok.json'));
  },
);

test.after(() => {
  provider.destroy();
  rmSync(dir, { recursive: true, force: true });
});
test.run();
