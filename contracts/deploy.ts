// `npm run deploy [-- --rpc-url URL] [--config FILE] [--out FILE]`: deploys a DataMarketplace
// with the parameters in chain.deploy and records it in chain.deploymentFile (or --out).
// Target: --rpc-url, else chain.rpcUrl, else the local stack's anvil. The deployer key comes
// from ITRADE_DEPLOYER_KEY; only the local stack falls back to anvil's first dev account.
import { rpcChainId } from '../lib/probes.ts';
import { Command } from 'commander';
import { JsonRpcProvider, Network, Wallet, WebSocketProvider, type Provider } from 'ethers';
import { pathToFileURL } from 'node:url';
import { loadConfigFile } from '../config/load.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { isItradeError, itradeError, oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { configPath, resolvePath } from '../lib/paths.ts';
import { LocalStack } from '../stack/stack.ts';
import { deployMarketplace } from './client.ts';
import { marketplaceParams, writeDeployment, type DeploymentRecord } from './deployment.ts';

/** anvil's first deterministic dev account (mnemonic "test test ... junk"): public, local use only. */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface DeployOptions {
  config?: string;
  rpcUrl?: string;
  out?: string;
  env?: NodeJS.ProcessEnv;
  /** Told of each step that waits for the chain (the CLI shows them). */
  progress?: (step: string) => void;
}

export interface DeployResult {
  file: string;
  record: DeploymentRecord;
}

export interface Target {
  cfg: ItradeConfig;
  rpcUrl: string;
  local: boolean;
  key: string;
  chainId: number;
}

/** Where and as whom `deploy` would deploy, without touching the network. */
export function deployTarget(opts: DeployOptions = {}): Omit<Target, 'chainId'> {
  return chooseKey(chooseRpc(opts), opts.env ?? process.env);
}

// The deploy flow: choose the node, the key, ask the node its chain id, deploy, record.
export async function deploy(opts: DeployOptions = {}): Promise<DeployResult> {
  const chosen = deployTarget(opts);
  const progress = opts.progress ?? (() => undefined);
  progress(`asking ${chosen.rpcUrl} for its chain id`);
  const target = { ...chosen, chainId: await chainIdOf(chosen.rpcUrl) };
  const provider = connect(target.rpcUrl, target.chainId);
  try {
    progress(
      `chain ${target.chainId}: sending the DataMarketplace deployment from ${new Wallet(target.key).address} ` +
        `and waiting for it to be mined`,
    );
    const record = await deployTo(provider, target);
    progress(`mined in block ${record.blockNumber} (transaction ${record.transactionHash})`);
    const file = resolvePath(opts.out ?? target.cfg.chain.deploymentFile);
    writeDeployment(file, record);
    return { file, record };
  } finally {
    provider.destroy();
  }
}

function chooseRpc(opts: DeployOptions): Omit<Target, 'chainId'> {
  const cfg = loadConfigFile(configPath(opts.config), { env: opts.env });
  const explicit = opts.rpcUrl ?? (cfg.chain.rpcUrl || undefined);
  if (explicit !== undefined && !/^(https?|wss?):\/\/.+/.test(explicit)) {
    throw itradeError('CHAIN_RPC', `--rpc-url must be an http(s):// or ws(s):// URL (got "${explicit}")`);
  }
  const rpcUrl = explicit ?? new LocalStack(cfg, createLogger({ level: 'silent' })).endpoints().rpcUrl;
  return { cfg, rpcUrl, local: explicit === undefined, key: '' };
}

function chooseKey(t: Omit<Target, 'chainId'>, env: NodeJS.ProcessEnv): Omit<Target, 'chainId'> {
  const key = env.ITRADE_DEPLOYER_KEY || (t.local ? ANVIL_DEV_KEY : undefined);
  if (key === undefined)
    throw itradeError(
      'CHAIN_DEPLOYER_KEY',
      `set ITRADE_DEPLOYER_KEY to deploy to ${t.rpcUrl} (anvil's dev key is used for the local stack only)`,
    );
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key))
    throw itradeError('CHAIN_DEPLOYER_KEY', 'ITRADE_DEPLOYER_KEY must be a 32-byte hex private key');
  return { ...t, key };
}

/** eth_chainId with a timeout: a node that is down fails fast instead of ethers retrying forever. */
async function chainIdOf(rpcUrl: string, timeoutMs = 5000): Promise<number> {
  try {
    return await rpcChainId(rpcUrl, timeoutMs);
  } catch (err) {
    const hint = rpcUrl.includes('127.0.0.1') ? ' (for the local chain, run `npm run stack:up`)' : '';
    throw itradeError('CHAIN_RPC', `${rpcUrl} does not answer eth_chainId: ${oneLine(err)}${hint}`, { cause: err });
  }
}

function connect(rpcUrl: string, chainId: number): Provider {
  const network = Network.from(chainId);
  return rpcUrl.startsWith('ws')
    ? new WebSocketProvider(rpcUrl, network)
    : new JsonRpcProvider(rpcUrl, network, { staticNetwork: network });
}

async function deployTo(provider: Provider, t: Target): Promise<DeploymentRecord> {
  const wallet = new Wallet(t.key, provider);
  const params = marketplaceParams(t.cfg);
  try {
    const d = await deployMarketplace(wallet, params);
    const m = d.marketplace;
    return {
      chainId: t.chainId,
      marketplace: d.address,
      blockNumber: d.blockNumber,
      transactionHash: d.transactionHash,
      deployer: wallet.address,
      deployedAt: new Date().toISOString(),
      params: {
        dspRegistrationPrice: String(params.dspRegistrationPrice),
        sensorRegistrationPrice: String(params.sensorRegistrationPrice),
        commissionBps: params.commissionBps,
      },
      implementations: {
        principal: await m.principalImplementation(),
        sensor: await m.sensorImplementation(),
        subscription: await m.subscriptionImplementation(),
      },
    };
  } catch (err) {
    if (isItradeError(err)) throw err;
    throw itradeError('CHAIN_DEPLOY', `deploying from ${wallet.address} to ${t.rpcUrl}: ${oneLine(err)}`, {
      cause: err,
    });
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('deploy')
    .description('Deploy the DataMarketplace and record its address in chain.deploymentFile')
    .option('--rpc-url <url>', 'JSON-RPC URL (default: chain.rpcUrl, else the local stack anvil)')
    .option('--config <file>', 'configuration file (default: $ITRADE_CONFIG or config/itrade.yaml)')
    .option('--out <file>', 'deployment file to write (default: chain.deploymentFile)');
  const opts = program.parse(argv).opts<{ rpcUrl?: string; config?: string; out?: string }>();
  try {
    const { file, record } = await deploy(opts);
    console.log(
      `DataMarketplace ${record.marketplace} on chain ${record.chainId}, block ${record.blockNumber} (deployer ` +
        `${record.deployer})`,
    );
    console.log(`recorded in ${file}`);
    return 0;
  } catch (err) {
    console.error(`deploy: ${oneLine(err)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv);
}
