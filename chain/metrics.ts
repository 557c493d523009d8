// What the chain adapter reports to Prometheus: every JSON-RPC call by method with its latency
// and outcome, the entitlement cache's hits and misses by kind of answer, and the marketplace
// events seen. The adapter knows only the ChainObserver interface; the gateway passes the
// prom-client implementation.
import { JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ChainObserver {
  rpc(method: string, seconds: number, ok: boolean): void;
  /** `kind`: the cached question (sensor, subs, principalOf, rsa). */
  cache(kind: string, hit: boolean): void;
  event(kind: string): void;
}

export function createChainMetrics(registry: Registry): ChainObserver {
  const registers = [registry];
  const calls = new Counter({
    name: 'itrade_chain_rpc_calls_total',
    help: 'JSON-RPC requests sent to the Ethereum node, by method and outcome (ok, error).',
    labelNames: ['method', 'outcome'],
    registers,
  });
  const latency = new Histogram({
    name: 'itrade_chain_rpc_seconds',
    help: 'JSON-RPC round trip to the Ethereum node, by method.',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const hits = new Counter({
    name: 'itrade_chain_cache_hits_total',
    help: 'Entitlement questions answered from the Redis cache, by kind (sensor, subs, principalOf, rsa).',
    labelNames: ['kind'],
    registers,
  });
  const misses = new Counter({
    name: 'itrade_chain_cache_misses_total',
    help: 'Entitlement questions that had to ask the chain, by kind.',
    labelNames: ['kind'],
    registers,
  });
  const events = new Counter({
    name: 'itrade_chain_events_total',
    help: 'Marketplace events read from the chain, by kind.',
    labelNames: ['kind'],
    registers,
  });
  return {
    rpc(method, seconds, ok) {
      calls.inc({ method, outcome: ok ? 'ok' : 'error' });
      latency.observe({ method }, seconds);
    },
    cache: (kind, hit) => (hit ? hits : misses).inc({ kind }),
    event: (kind) => events.inc({ kind }),
  };
}

// The JSON-RPC methods the adapter uses, so a label never takes an arbitrary value.
const METHODS = new Set([
  'eth_call',
  'eth_getLogs',
  'eth_blockNumber',
  'eth_chainId',
  'eth_getTransactionReceipt',
  'eth_getCode',
  'eth_getBlockByNumber',
]);

/** A JsonRpcProvider that reports each request it sends (batchMaxCount 1: one request per call). */
export class ObservedProvider extends JsonRpcProvider {
  constructor(
    url: string,
    chainId: number,
    private readonly observer: ChainObserver,
  ) {
    const network = Network.from(chainId);
    super(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const first = Array.isArray(payload) ? payload[0] : payload;
    const method = first && METHODS.has(first.method) ? first.method : 'other';
    const t0 = process.hrtime.bigint();
    let ok = false;
    try {
      const res = await super._send(payload);
      ok = !res.some((r) => 'error' in r);
      return res;
    } finally {
      this.observer.rpc(method, Number(process.hrtime.bigint() - t0) / 1e9, ok);
    }
  }
}
