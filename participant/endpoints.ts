// Where the market commands and the simulator find everything, from the operator's configuration
// unless a flag says otherwise: the chain (chain.rpcUrl or the local stack's anvil), the
// marketplace (chain.marketplace or the deployment record, checked against the chain), the
// gateway's HTTP API and MQTT listener, and the local folder for this marketplace's profiles.
import { getAddress } from 'ethers';
import { resolveMarketplace } from '../contracts/deployment.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { resolve } from 'node:path';
import { fromRoot } from '../lib/paths.ts';
import { LocalStack } from '../stack/stack.ts';
import { chainProvider } from './chain.ts';

export interface EndpointFlags {
  rpcUrl?: string;
  api?: string;
  mqtt?: string;
  marketplace?: string;
}

export interface Endpoints {
  rpcUrl: string;
  apiUrl: string;
  mqttUrl: string;
  marketplace: string;
  /** Where the marketplace's events start (its deployment block; 0 when unknown). */
  fromBlock: number;
  chainId: number;
  /** This marketplace's local folder: profiles/ and sim/ live here. */
  marketDir: string;
}

/** A listener bound to every interface is reached on the loopback address. */
function reachable(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export function gatewayUrls(cfg: ItradeConfig): { apiUrl: string; mqttUrl: string } {
  const b = cfg.broker;
  return {
    apiUrl: `http://${reachable(b.http.host)}:${b.http.port}`,
    mqttUrl: `mqtt://${reachable(b.listeners.tcp.host)}:${b.listeners.tcp.port}`,
  };
}

export async function resolveEndpoints(cfg: ItradeConfig, flags: EndpointFlags, log: Logger): Promise<Endpoints> {
  const rpcUrl = flags.rpcUrl ?? new LocalStack(cfg, log).endpoints().rpcUrl;
  const provider = chainProvider(rpcUrl);
  try {
    let chainId: number;
    try {
      chainId = Number((await provider.getNetwork()).chainId);
    } catch (err) {
      throw itradeError('CHAIN_RPC', `${rpcUrl} does not answer (for the local chain: \`npm run stack:up\`)`, {
        cause: err,
      });
    }
    const m = flags.marketplace
      ? { address: await checked(provider, flags.marketplace), fromBlock: 0 }
      : await resolveMarketplace(cfg, provider);
    const marketplace = m.address.toLowerCase();
    const urls = gatewayUrls(cfg);
    return {
      rpcUrl,
      apiUrl: flags.api ?? urls.apiUrl,
      mqttUrl: flags.mqtt ?? urls.mqttUrl,
      marketplace,
      fromBlock: m.fromBlock,
      chainId,
      marketDir: marketDir(chainId, marketplace),
    };
  } finally {
    provider.destroy();
  }
}

async function checked(provider: ReturnType<typeof chainProvider>, address: string): Promise<string> {
  let a: string;
  try {
    a = getAddress(address).toLowerCase();
  } catch (err) {
    throw itradeError('CRYPTO_ADDRESS_INVALID', `--marketplace ${address} is not an address`, { cause: err });
  }
  if ((await provider.getCode(a)) === '0x')
    throw itradeError('CHAIN_DEPLOYMENT_STALE', `no contract at ${a} on this chain`);
  return a;
}

/** `.cache/itrade/<chainId>-<marketplace>`: a redeployed marketplace gets a new folder. */
export function marketDir(chainId: number, marketplace: string): string {
  return fromRoot('.cache', 'itrade', `${chainId}-${marketplace.toLowerCase()}`);
}

/**
 * A profile name is a folder under the marketplace's profiles/; anything with a slash is a path (from the working
 * directory).
 */
export function profileDir(e: Pick<Endpoints, 'marketDir'>, profile = 'default'): string {
  if (profile.includes('/')) return resolve(profile); // a path, from the working directory
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(profile))
    throw itradeError('SIM_PROFILE', `profile name "${profile}": use letters, digits, _ . - (or a path with a slash)`);
  return `${e.marketDir}/profiles/${profile}`;
}
