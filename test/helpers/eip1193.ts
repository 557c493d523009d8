// An EIP-1193 provider for a page in headless Chromium, where no wallet extension exists: the page
// gets window.ethereum whose request() is answered in Node.js by an ethers Wallet on the test
// chain (accounts, personal_sign, eth_sendTransaction signed here; reads forwarded to anvil). The
// web app sees nothing but the standard interface, as with MetaMask.
import { getBytes, type JsonRpcProvider, type Wallet } from 'ethers';
import type { BrowserContext } from 'playwright-core';

interface TxParams {
  to?: string;
  data?: string;
  value?: string;
  gas?: string;
}

async function answer(wallet: Wallet, provider: JsonRpcProvider, method: string, params: unknown[]) {
  switch (method) {
    case 'eth_requestAccounts':
    case 'eth_accounts':
      return [wallet.address.toLowerCase()];
    case 'personal_sign':
      return wallet.signMessage(getBytes(params[0] as string));
    case 'eth_sendTransaction': {
      const p = params[0] as TxParams;
      const tx = await wallet.connect(provider).sendTransaction({
        to: p.to,
        data: p.data,
        value: p.value === undefined ? 0n : BigInt(p.value),
        ...(p.gas === undefined ? {} : { gasLimit: BigInt(p.gas) }),
      });
      return tx.hash;
    }
    default:
      return provider.send(method, params);
  }
}

/** Gives every page of `context` window.ethereum backed by `wallet`. */
export async function injectWallet(context: BrowserContext, wallet: Wallet, provider: JsonRpcProvider): Promise<void> {
  await context.exposeFunction('__itradeWallet', (method: string, params: unknown[]) =>
    answer(wallet, provider, method, params ?? []),
  );
  // A string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
  await context.addInitScript(
    'globalThis.ethereum = { request: ({ method, params }) => globalThis.__itradeWallet(method, params ?? []) };',
  );
}
