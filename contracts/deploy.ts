// `npm run deploy [-- --rpc-url URL] [--chain-id N] [--config FILE] [--out FILE]`: deploys a
// DataMarketplace with the parameters in chain.deploy and records it in chain.deploymentFile
// for the chain's id (or --out). Target: --rpc-url, else chain.rpcUrl, else the local stack's
// anvil. The node must serve the chain --chain-id or chain.chainId names (the local stack's by
// default); nothing is sent otherwise. The deployer key comes from ITRADE_DEPLOYER_KEY; only
// the local stack falls back to anvil's first dev account. Fees are EIP-1559's wherever the node
// supports them (ethers asks it; nothing here sets a legacy gas price).
import { rpcChainId } from '../lib/probes.ts';
import { Command, InvalidArgumentError } from 'commander';
import { JsonRpcProvider, Network, Wallet, WebSocketProvider, formatUnits, type Provider } from 'ethers';
import { pathToFileURL } from 'node:url';
import { loadConfigFile } from '../config/load.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { isItradeError, itradeError, oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { configPath, resolvePath } from '../lib/paths.ts';
import { LocalStack } from '../stack/stack.ts';
import { deployMarketplace } from './client.ts';
import {
  checkChainId,
  deploymentFileFor,
  marketplaceParams,
  writeDeployment,
  type DeploymentRecord,
} from './deployment.ts';

/** anvil's first deterministic dev account (mnemonic "test test ... junk"): public, local use only. */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface DeployOptions {
  config?: string;
  rpcUrl?: string;
  /** The chain the node must serve (overrides chain.chainId). */
  chainId?: number;
  out?: string;
  env?: NodeJS.ProcessEnv;
  /** Told of each step that waits for the chain (the CLI shows them). */
  progress?: (step: string) => void;
}

export interface DeployResult {
  file: string;
  record: DeploymentRecord;
  /** False when no chain id was named, so the node's word was taken for it. */
  chainIdChecked: boolean;
}

/** What the CLIs print when a deployment is done. */
export function deployedLines(r: DeployResult): string[] {
  const unchecked = r.chainIdChecked
    ? ''
    : ' (as the node reports it: name it with --chain-id or chain.chainId to have it checked)';
  const { marketplace, chainId, blockNumber, deployer } = r.record;
  return [
    `DataMarketplace ${marketplace} on chain ${chainId}${unchecked}, block ${blockNumber} (deployer ${deployer})`,
    `recorded in ${r.file}`,
  ];
}

export interface Target {
  cfg: ItradeConfig;
  rpcUrl: string;
  local: boolean;
  key: string;
  /** The chain id the node must report; undefined: whatever it reports (nobody named one). */
  expectedChainId: number | undefined;
  chainId: number;
}

/** Where, to which chain and as whom `deploy` would deploy, without touching the network. */
export function deployTarget(opts: DeployOptions = {}): Omit<Target, 'chainId'> {
  const t = chooseKey(chooseRpc(opts), opts.env ?? process.env);
  return {
    ...t,
    expectedChainId: opts.chainId ?? (t.cfg.chain.chainId || (t.local ? t.cfg.stack.chain.chainId : undefined)),
  };
}

// The deploy flow: choose the node, the key, ask the node its chain id, deploy, record.
export async function deploy(opts: DeployOptions = {}): Promise<DeployResult> {
  const chosen = deployTarget(opts);
  const progress = opts.progress ?? (() => undefined);
  progress(`asking ${chosen.rpcUrl} for its chain id`);
  const target = { ...chosen, chainId: await chainIdOf(chosen.rpcUrl) };
  checkChainId(target.expectedChainId, target.chainId, chosen.rpcUrl);
  const provider = connect(target.rpcUrl, target.chainId);
  try {
    progress(
      `chain ${target.chainId}: sending the DataMarketplace deployment from ${new Wallet(target.key).address} ` +
        `and waiting for it to be mined`,
    );
    const record = await deployTo(provider, target);
    const f = record.fees!;
    const paid = `type ${f.type}, ${f.gasUsed} gas at ${formatUnits(f.effectiveGasPrice, 'gwei')} gwei`;
    progress(`mined in block ${record.blockNumber} (transaction ${record.transactionHash}, ${paid})`);
    const file = resolvePath(opts.out ?? deploymentFileFor(target.cfg, target.chainId));
    writeDeployment(file, record);
    return { file, record, chainIdChecked: target.expectedChainId !== undefined };
  } finally {
    provider.destroy();
  }
}

function chooseRpc(opts: DeployOptions): Omit<Target, 'chainId' | 'expectedChainId'> {
  const cfg = loadConfigFile(configPath(opts.config), { env: opts.env });
  const explicit = opts.rpcUrl ?? (cfg.chain.rpcUrl || undefined);
  if (explicit !== undefined && !/^(https?|wss?):\/\/.+/.test(explicit)) {
    throw itradeError('CHAIN_RPC', `--rpc-url must be an http(s):// or ws(s):// URL (got "${explicit}")`);
  }
  const rpcUrl = explicit ?? new LocalStack(cfg, createLogger({ level: 'silent' })).endpoints().rpcUrl;
  return { cfg, rpcUrl, local: explicit === undefined, key: '' };
}

function chooseKey(
  t: Omit<Target, 'chainId' | 'expectedChainId'>,
  env: NodeJS.ProcessEnv,
): Omit<Target, 'chainId' | 'expectedChainId'> {
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

// A receipt not there at the first look is polled for every 500 ms, not ethers' 4 s (as the
// market commands do, participant/chain.ts): a deployment waits for several.
function connect(rpcUrl: string, chainId: number): Provider {
  const network = Network.from(chainId);
  return rpcUrl.startsWith('ws')
    ? new WebSocketProvider(rpcUrl, network)
    : new JsonRpcProvider(rpcUrl, network, { staticNetwork: network, pollingInterval: 500 });
}

async function deployTo(provider: Provider, t: Target): Promise<DeploymentRecord> {
  const wallet = new Wallet(t.key, provider);
  const params = marketplaceParams(t.cfg);
  try {
    const d = await deployMarketplace(wallet, params);
    const m = d.marketplace;
    const receipt = await provider.getTransactionReceipt(d.transactionHash);
    const tx = await provider.getTransaction(d.transactionHash);
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
      fees: {
        type: tx?.type ?? 0,
        gasUsed: String(receipt?.gasUsed ?? 0n),
        effectiveGasPrice: String(receipt?.gasPrice ?? 0n),
      },
    };
  } catch (err) {
    if (isItradeError(err)) throw err;
    throw itradeError('CHAIN_DEPLOY', `deploying from ${wallet.address} to ${t.rpcUrl}: ${oneLine(err)}`, {
      cause: err,
    });
  }
}

/** --chain-id's value: a positive integer. */
export function parseChainId(v: string): number {
  if (!/^[1-9]\d{0,15}$/.test(v)) throw new InvalidArgumentError('must be a positive integer chain id');
  return Number(v);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('deploy')
    .description('Deploy the DataMarketplace and record its address in chain.deploymentFile')
    .option('--rpc-url <url>', 'JSON-RPC URL (default: chain.rpcUrl, else the local stack anvil)')
    .option(
      '--chain-id <id>',
      'the chain the node must serve (default: chain.chainId; the local stack needs none)',
      parseChainId,
    )
    .option('--config <file>', 'configuration file (default: $ITRADE_CONFIG or config/itrade.yaml)')
    .option('--out <file>', 'deployment file to write (default: chain.deploymentFile for the chain id)');
  const opts = program.parse(argv).opts<{ rpcUrl?: string; chainId?: number; config?: string; out?: string }>();
  try {
    for (const line of deployedLines(await deploy({ ...opts, progress: (step) => console.error(step) })))
      console.log(line);
    return 0;
  } catch (err) {
    console.error(`deploy: ${oneLine(err)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv);
}
