// Chain helpers for the integration tests: a provider on the test stack's anvil, fresh funded
// wallets (anvil_setBalance, so test files never share a dev account's nonce), a marketplace of
// the test's own, and revert assertions by custom error.
import { JsonRpcProvider, Wallet, parseEther, type Provider, type TransactionReceipt } from 'ethers';
import * as assert from 'uvu/assert';
import {
  decodeMarketplaceError,
  deployMarketplace,
  type MarketplaceContract,
  type MarketplaceParams,
} from '../../contracts/client.ts';
import { services } from './services.ts';

export function chainProvider(): JsonRpcProvider {
  // cacheTimeout -1: ethers caches identical calls for 250 ms, which hands a second transaction
  // sent right after the first the same (stale) nonce.
  const provider = new JsonRpcProvider(services().rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  // anvil answers eth_sendRawTransaction before its block is mined; on a busy machine the first
  // receipt look-up misses it and tx.wait() falls back to polling for blocks, every 4 s by default.
  provider.pollingInterval = 50;
  return provider;
}

export async function fundedWallet(provider: JsonRpcProvider, ether = '1000'): Promise<Wallet> {
  const w = Wallet.createRandom().connect(provider);
  await provider.send('anvil_setBalance', [w.address, '0x' + parseEther(ether).toString(16)]);
  return new Wallet(w.privateKey, provider);
}

export const DEFAULT_PARAMS: MarketplaceParams = {
  dspRegistrationPrice: parseEther('0.01'),
  sensorRegistrationPrice: parseEther('0.001'),
  commissionBps: 500,
};

export async function newMarketplace(
  provider: JsonRpcProvider,
  params: MarketplaceParams = DEFAULT_PARAMS,
): Promise<{ owner: Wallet; marketplace: MarketplaceContract; address: string; blockNumber: number }> {
  const owner = await fundedWallet(provider);
  const d = await deployMarketplace(owner, params);
  return { owner, marketplace: d.marketplace, address: d.address, blockNumber: d.blockNumber };
}

const norm = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : String(v));

/** Asserts that the call or transaction reverts with this marketplace custom error (and these arguments). */
export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (err) {
    error = err ?? new Error('undefined rejection');
  }
  assert.ok(error !== undefined, `expected a revert with ${name}, but it succeeded`);
  const decoded = decodeMarketplaceError(error);
  assert.ok(decoded, `expected ${name}, got an undecodable error: ${String(error).slice(0, 300)}`);
  assert.is(decoded.name, name);
  if (args) assert.equal(decoded.args.map(norm), args.map(norm), `${name} arguments`);
}

/** What a mined transaction cost its sender in gas, in wei. */
export function feeOf(receipt: TransactionReceipt | null): bigint {
  assert.ok(receipt, 'no receipt');
  return receipt.gasUsed * receipt.gasPrice;
}

export async function balance(provider: Provider, address: string): Promise<bigint> {
  return provider.getBalance(address);
}

/** A 2048-bit RSA public key in PEM, the size a real principal registers. */
export const SAMPLE_RSA_KEY = [
  '-----BEGIN PUBLIC KEY-----',
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo',
  '4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u',
  '+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh',
  'kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ',
  '0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg',
  'cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc',
  'mwIDAQAB',
  '-----END PUBLIC KEY-----',
].join('\n');
