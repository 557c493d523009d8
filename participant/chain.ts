// Chain access for the simulator and the market commands: a provider with ethers' request cache
// off, funding of new accounts, and failed transactions turned into one clear error.
import { JsonRpcProvider, NonceManager, Wallet, parseEther, toBeHex, type Signer } from 'ethers';
import { decodeMarketplaceError, mined, type Waitable } from '../contracts/client.ts';
import { isItradeError, itradeError, oneLine, type ItradeError } from '../protocol/errors.ts';

/**
 * cacheTimeout -1: by default ethers answers identical requests from a 250 ms cache, which hands
 * two transactions of one account sent back to back the same (stale) nonce.
 */
export function chainProvider(rpcUrl: string): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 500 });
}

/** Gives a new account enough ether for what it is about to do. */
export interface Funder {
  readonly how: 'anvil' | 'funder-key';
  fund(address: string, wei: bigint): Promise<void>;
}

/** What a local dev account gets: far more than any simulation spends. */
export const DEV_BALANCE = parseEther('1000');

async function isAnvil(provider: JsonRpcProvider): Promise<boolean> {
  try {
    const v = (await provider.send('web3_clientVersion', [])) as string;
    return /anvil/i.test(v);
  } catch {
    return false;
  }
}

/**
 * A local anvil sets balances directly (no shared dev account, so no nonce to share between
 * parallel wallets). Any other chain needs ITRADE_FUNDER_KEY: a funded key that pays each new
 * account exactly what it needs, through one NonceManager.
 */
export async function createFunder(provider: JsonRpcProvider, env: NodeJS.ProcessEnv = process.env): Promise<Funder> {
  if (await isAnvil(provider)) {
    return {
      how: 'anvil',
      fund: async (address) => {
        await provider.send('anvil_setBalance', [address, toBeHex(DEV_BALANCE)]);
      },
    };
  }
  const key = env.ITRADE_FUNDER_KEY;
  if (!key) {
    return {
      how: 'funder-key',
      fund: async (address) => {
        throw itradeError(
          'SIM_FUNDING',
          `account ${address} needs ether and this chain is not a local anvil: set ITRADE_FUNDER_KEY to a ` +
            `funded private key`,
        );
      },
    };
  }
  const payer = new NonceManager(new Wallet(key, provider));
  return {
    how: 'funder-key',
    fund: async (address, wei) => {
      const have = await provider.getBalance(address);
      if (have >= wei) return;
      await sent(`fund ${address}`, payer.sendTransaction({ to: address, value: wei - have }));
    },
  };
}

/** Gas a fresh account needs for its calls, priced at twice the current fee (headroom for a rise). */
export async function gasAllowance(provider: JsonRpcProvider, gasUnits: bigint): Promise<bigint> {
  const fee = await provider.getFeeData();
  const perGas = fee.maxFeePerGas ?? fee.gasPrice ?? 1_000_000_000n;
  return gasUnits * perGas * 2n;
}

/**
 * Waits for a transaction; a revert becomes SIM_TX_FAILED naming the call and the marketplace's
 * custom error, a node that does not answer CHAIN_RPC.
 */
export async function sent<R>(what: string, tx: Promise<Waitable<R>> | Waitable<R>): Promise<R> {
  try {
    return await mined(tx);
  } catch (err) {
    throw txError(what, err);
  }
}

export function txError(what: string, err: unknown): ItradeError {
  if (isItradeError(err)) return err;
  const decoded = decodeMarketplaceError(err);
  if (decoded) {
    const args = decoded.args.map((a) => (typeof a === 'bigint' ? a.toString() : String(a))).join(', ');
    return itradeError('SIM_TX_FAILED', `${what}: reverted with ${decoded.name}(${args})`, { cause: err });
  }
  const code = (err as { code?: string })?.code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'NETWORK_ERROR' ||
    code === 'TIMEOUT' ||
    /ECONNREFUSED|fetch failed/.test(String(err))
  ) {
    return itradeError('CHAIN_RPC', `${what}: the Ethereum node does not answer`, { cause: err });
  }
  return itradeError('SIM_TX_FAILED', `${what}: ${oneLine(err)}`, { cause: err });
}

/** A signer that numbers its own nonces, so one account can have several transactions in flight. */
export function nonceManaged(wallet: Wallet): Signer {
  return new NonceManager(wallet);
}
