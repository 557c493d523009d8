// A marketplace with a long history, made fast (issue 16: an entitlement check must not grow with
// it): n real subscribe transactions of a few buyer principals to the given sensors, through the
// ordinary contract entry point, so the chain holds exactly what n subscriptions leave (clones,
// pair lists, payouts, events). Speed comes from anvil, not from shortcuts in the state: the
// buyers' accounts are impersonated (anvil signs, not JavaScript), the transactions go as
// JSON-RPC batches (nonces counted here), automine is off and each batch is mined as one block with a raised gas limit.
import { JsonRpcProvider, Wallet, parseEther, toBeHex } from 'ethers';
import { attachMarketplace, marketplaceInterface as iface, registerPrincipal } from '../contracts/client.ts';
import { sensorInfo } from '../contracts/views.ts';

export interface HistoryOptions {
  rpcUrl: string;
  marketplace: string;
  sensors: readonly string[];
  subscriptions: number;
  /** Buyer principals the history is spread over. */
  buyers?: number;
  /** Transactions per JSON-RPC batch and per mined block. */
  batch?: number;
  say?: (line: string) => void;
}

interface RpcAnswer {
  error?: { message: string };
  result?: unknown;
}

async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<RpcAnswer[]> {
  const body = JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c })));
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answers = (await r.json()) as RpcAnswer[];
  const failed = answers.find((a) => a.error);
  if (failed) throw new Error(`history: ${failed.error!.message}`);
  return answers;
}

const one = async (url: string, method: string, params: unknown[] = []) =>
  (await rpcBatch(url, [{ method, params }]))[0]!.result;

/** Makes `subscriptions` subscriptions; resolves with how many the marketplace counts more and the time. */
export async function buildSubscriptionHistory(o: HistoryOptions): Promise<{ made: number; ms: number }> {
  const t0 = Date.now();
  const provider = new JsonRpcProvider(o.rpcUrl, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const market = attachMarketplace(o.marketplace, provider);
    const before = Number(await market.subscriptionCount());
    const prices = await Promise.all(o.sensors.map(async (s) => (await sensorInfo(market, s))!.pricePerDataEntry));
    const buyers = await historyBuyers(provider, o.marketplace, o.buyers ?? 20);
    const batch = o.batch ?? 1000;
    await one(o.rpcUrl, 'evm_setAutomine', [false]);
    await one(o.rpcUrl, 'anvil_setBlockGasLimit', [toBeHex(batch * 400_000)]);
    try {
      let last = t0;
      for (let done = 0; done < o.subscriptions; done += batch) {
        const n = Math.min(batch, o.subscriptions - done);
        const calls = Array.from({ length: n }, (_, k) => {
          const i = done + k;
          const s = i % o.sensors.length;
          const b = buyers[Math.floor(i / o.sensors.length) % buyers.length]!;
          const data = iface.encodeFunctionData('subscribe', [o.sensors[s], b.principal, 0, 1]);
          const nonce = toBeHex(b.nonce++);
          const tx = { from: b.account, to: o.marketplace, data, value: toBeHex(prices[s]!), gas: '0x61a80', nonce };
          return { method: 'eth_sendTransaction', params: [tx] };
        });
        await rpcBatch(o.rpcUrl, calls);
        await one(o.rpcUrl, 'evm_mine');
        if (o.say && Date.now() - last > 5000)
          ((last = Date.now()), o.say(`  history: ${done + n}/${o.subscriptions}`));
      }
    } finally {
      await one(o.rpcUrl, 'evm_setAutomine', [true]);
    }
    const made = Number(await market.subscriptionCount()) - before;
    return { made, ms: Date.now() - t0 };
  } finally {
    provider.destroy();
  }
}

/** Registered buyer principals whose accounts anvil signs for (impersonated). */
async function historyBuyers(provider: JsonRpcProvider, marketplace: string, n: number) {
  const out: { account: string; principal: string; nonce: number }[] = [];
  for (let i = 0; i < n; i++) {
    const w = Wallet.createRandom().connect(provider);
    await provider.send('anvil_setBalance', [w.address, toBeHex(parseEther('1000000'))]);
    const m = attachMarketplace(marketplace, w);
    const details = { name: `history ${i}`, url: '', email: '', rsaPublicKey: 'history buyer: no key' };
    const { address } = await registerPrincipal(m, details);
    await provider.send('anvil_impersonateAccount', [w.address]);
    out.push({ account: w.address, principal: address, nonce: await provider.getTransactionCount(w.address) });
  }
  return out;
}
