// The deployment record: `npm run deploy` writes it to chain.deploymentFile (one file per chain
// id: `{chainId}` in the name), the gateway reads it (unless chain.marketplace names the address)
// and checks that the marketplace really is on the chain it talks to, and speaks the API this
// code was written for, so a reset or upgraded chain gives a clear error instead of silent nothing.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { getAddress, isAddress, parseUnits, type Provider } from 'ethers';
import type { ItradeConfig } from '../config/schema.ts';
import { itradeError, oneLine } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { resolvePath } from '../lib/paths.ts';
import { MARKETPLACE_API_VERSION, attachMarketplace, type MarketplaceParams } from './client.ts';

export interface DeploymentRecord {
  chainId: number;
  marketplace: string;
  blockNumber: number;
  transactionHash: string;
  deployer: string;
  deployedAt: string;
  params: { dspRegistrationPrice: string; sensorRegistrationPrice: string; commissionBps: number };
  implementations: { principal: string; sensor: string; subscription: string };
  /** How the deployment was paid for: transaction type (2: EIP-1559), gas used, wei per gas. */
  fees?: { type: number; gasUsed: string; effectiveGasPrice: string };
}

/**
 * The chain id the configuration names: chain.chainId, else (rpcUrl empty) the local stack's;
 * undefined for another node whose chain nobody named.
 */
export function configuredChainId(cfg: ItradeConfig): number | undefined {
  if (cfg.chain.chainId !== 0) return cfg.chain.chainId;
  return cfg.chain.rpcUrl === '' ? cfg.stack.chain.chainId : undefined;
}

/** chain.deploymentFile for this chain: `{chainId}` in it stands for the chain id. */
export function deploymentFileFor(cfg: ItradeConfig, chainId: number): string {
  return cfg.chain.deploymentFile.replaceAll('{chainId}', String(chainId));
}

/** CHAIN_WRONG_NETWORK unless the node serves the chain the configuration (or --chain-id) names. */
export function checkChainId(expected: number | undefined, actual: number, node: string): void {
  if (expected === undefined || expected === actual) return;
  throw itradeError(
    'CHAIN_WRONG_NETWORK',
    `${node} serves chain ${actual}, but chain ${expected} is configured (chain.chainId or --chain-id)`,
  );
}

/** "0.01 ether" / "5 gwei" / "1000 wei" (the schema's pattern) to wei. */
export function parseAmount(text: string): bigint {
  const [num, unit] = text.trim().split(/\s+/);
  return parseUnits(num!, unit);
}

export function marketplaceParams(cfg: ItradeConfig): MarketplaceParams {
  const d = cfg.chain.deploy;
  return {
    dspRegistrationPrice: parseAmount(d.dspRegistrationPrice),
    sensorRegistrationPrice: parseAmount(d.sensorRegistrationPrice),
    commissionBps: d.commissionBps,
  };
}

export function writeDeployment(file: string, record: DeploymentRecord): void {
  const path = resolvePath(file);
  mkdirSync(dirname(path), { recursive: true });
  // Write then rename: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export function readDeployment(file: string): DeploymentRecord {
  const path = resolvePath(file);
  if (!existsSync(path))
    throw itradeError(
      'CHAIN_DEPLOYMENT_MISSING',
      `${path} does not exist: run \`npm run deploy\` or set chain.marketplace`,
    );
  let rec: Partial<DeploymentRecord>;
  try {
    rec = JSON.parse(readFileSync(path, 'utf8')) as Partial<DeploymentRecord>;
  } catch (err) {
    throw itradeError('CHAIN_DEPLOYMENT_MISSING', `${path}: not a JSON deployment record`, { cause: err });
  }
  if (
    typeof rec.marketplace !== 'string' ||
    !isAddress(rec.marketplace) ||
    !Number.isInteger(rec.chainId) ||
    !Number.isInteger(rec.blockNumber)
  ) {
    throw itradeError('CHAIN_DEPLOYMENT_MISSING', `${path}: needs marketplace (address), chainId and blockNumber`);
  }
  return rec as DeploymentRecord;
}

export interface MarketplaceLocation {
  address: string;
  /** Where following the marketplace's events starts. */
  fromBlock: number;
  source: 'config' | 'deployment-file';
}

/**
 * chain.marketplace, else the record `npm run deploy` wrote; no marketplace at all is an empty
 * address (with a warning), and every chain check then fails closed. Read without asking the
 * node, so the gateway starts while the chain is down (resolveMarketplace checks it on the chain).
 */
export function locateMarketplace(cfg: ItradeConfig, log: Logger): { marketplace: string; fromBlock: number } {
  if (cfg.chain.marketplace !== '')
    return { marketplace: cfg.chain.marketplace, fromBlock: cfg.chain.marketplaceBlock };
  try {
    // The record of the chain the configuration names (the node is not asked: it may be down).
    const rec = readDeployment(deploymentFileFor(cfg, configuredChainId(cfg) ?? cfg.broker.entitlements.chainId));
    return { marketplace: rec.marketplace, fromBlock: rec.blockNumber };
  } catch (err) {
    log.warn({ err: oneLine(err) }, 'no marketplace configured or deployed: every chain check fails closed');
    return { marketplace: '', fromBlock: 0 };
  }
}

/**
 * The marketplace the configuration points at, checked against the connected chain: the chain
 * id matches the deployment record, and the address answers as a DataMarketplace.
 */
export async function resolveMarketplace(cfg: ItradeConfig, provider: Provider): Promise<MarketplaceLocation> {
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch (err) {
    throw itradeError('CHAIN_RPC', `cannot ask the node for its chain id: ${oneLine(err)}`, { cause: err });
  }
  checkChainId(cfg.chain.chainId || undefined, chainId, 'the node');
  const fromConfig = cfg.chain.marketplace !== '';
  const file = deploymentFileFor(cfg, chainId);
  const rec = fromConfig ? undefined : readDeployment(file);
  const address = getAddress(fromConfig ? cfg.chain.marketplace : rec!.marketplace);
  const where = fromConfig ? 'chain.marketplace' : resolvePath(file);
  if (rec && rec.chainId !== chainId) {
    throw itradeError(
      'CHAIN_DEPLOYMENT_STALE',
      `${where}: recorded for chain ${rec.chainId}, the node is chain ${chainId}`,
    );
  }
  await assertMarketplace(provider, address, where);
  return {
    address,
    fromBlock: rec ? rec.blockNumber : cfg.chain.marketplaceBlock,
    source: fromConfig ? 'config' : 'deployment-file',
  };
}

async function assertMarketplace(provider: Provider, address: string, where: string): Promise<void> {
  const code = await provider.getCode(address);
  if (code === '0x')
    throw itradeError(
      'CHAIN_DEPLOYMENT_STALE',
      `${where}: no contract at ${address} on this chain (was the chain reset? run \`npm run deploy\`)`,
    );
  const m = attachMarketplace(address, provider);
  // Every DataMarketplace has the four built-in sensor types; since issue 16 it says its API version.
  const types = await m.sensorTypeCount().catch(() => 0n);
  if (types < 4n)
    throw itradeError('CHAIN_DEPLOYMENT_STALE', `${where}: the contract at ${address} is not a DataMarketplace`);
  const version = await m.apiVersion().catch(() => 1n);
  if (version !== BigInt(MARKETPLACE_API_VERSION)) {
    const needs = `speaks API version ${version}, this code needs ${MARKETPLACE_API_VERSION}: run \`npm run deploy\``;
    throw itradeError('CHAIN_DEPLOYMENT_STALE', `${where}: the DataMarketplace at ${address} ${needs}`);
  }
}
