// Entitlements from the chain (ethers v6, docs/contracts-api.md) behind the Redis cache. Only
// entities the marketplace vouches for count: sensors pass isSensor, subscriptions are read from
// the marketplace's own Subscribed events. Events are read by polling logs of the marketplace
// address; each one refreshes the cache before listeners hear of it.
import { Contract, Interface, JsonRpcProvider, Network, ZeroAddress, type Log } from 'ethers';
import type { Redis } from 'ioredis';
import type {
  EntitlementEvent,
  Entitlements,
  PrincipalDirectory,
  SensorInfo,
  SubscriptionGrant,
} from '../interfaces/layers.ts';
import { normAddress } from '../protocol/topics.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { readPrincipalKey } from '../contracts/keys.ts';
import { MARKETPLACE_ABI, SENSOR_ABI, STATUS } from './abi.ts';
import { ChainCache, withTimeout } from './cache.ts';
import { limiter } from '../lib/limiter.ts';
import { ObservedProvider, type ChainObserver } from './metrics.ts';
import { inChildSpan } from '../tracing/tracing.ts';

export interface ChainOptions {
  rpcUrl: string;
  marketplace: string;
  chainId: number;
  fromBlock: number;
  cacheTtlSec: number;
  rpcTimeoutMs: number;
  pollIntervalMs: number;
  maxConcurrentLoads: number;
  maxLoadWaitMs: number;
  /** Metrics (RPC calls, cache hits and misses, events); none when absent. */
  observer?: ChainObserver;
}

/** A sensor registration proven by a transaction (sensor activation, paper III.B.2). */
export interface SensorRegistration {
  sensor: string;
  principal: string;
}

type CachedSensor = Omit<SensorInfo, 'pricePerDataEntry'> & { pricePerDataEntry: string };

const iface = new Interface(MARKETPLACE_ABI);

// A thousand buyers subscribing at once would fire a thousand eth_getLogs at the node together;
// served all at once, none is answered within rpcTimeoutMs and every check fails closed. Queued,
// they are answered in turn; one that waited maxLoadWaitMs for its turn fails closed too, so a
// node that stopped answering cannot build an endless queue.
function loadSlots(o: ChainOptions) {
  return limiter(o.maxConcurrentLoads, {
    maxWaitMs: o.maxLoadWaitMs,
    error: (waiting) =>
      itradeError(
        'CHAIN_UNAVAILABLE',
        `no chain look-up could start within ${o.maxLoadWaitMs} ms (${o.maxConcurrentLoads} under way, ` +
          `${waiting} waiting)`,
      ),
  });
}

export class ChainEntitlements implements Entitlements, PrincipalDirectory {
  readonly provider: JsonRpcProvider;
  private readonly market: Contract | undefined;
  private readonly cache: ChainCache;
  private readonly listeners = new Set<(e: EntitlementEvent) => void>();
  private lastBlock = -1;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly o: ChainOptions,
    redis: Redis,
    prefix: string,
    private readonly log: Logger,
    provider?: JsonRpcProvider,
  ) {
    this.provider =
      provider ??
      (o.observer
        ? new ObservedProvider(o.rpcUrl, o.chainId, o.observer)
        : new JsonRpcProvider(o.rpcUrl, Network.from(o.chainId), {
            staticNetwork: Network.from(o.chainId),
            batchMaxCount: 1,
            cacheTimeout: -1,
          }));
    this.market = o.marketplace ? new Contract(o.marketplace, MARKETPLACE_ABI, this.provider) : undefined;
    this.cache = new ChainCache(
      redis,
      prefix,
      o.cacheTtlSec,
      o.rpcTimeoutMs,
      loadSlots(o),
      o.observer ? (k, hit) => o.observer!.cache(k.slice(0, k.indexOf(':')), hit) : undefined,
    );
  }

  private marketplace(): Contract {
    if (!this.market)
      throw itradeError('CHAIN_UNAVAILABLE', 'no marketplace address is configured (broker.entitlements.marketplace)');
    return this.market;
  }

  async principalOfAccount(account: string): Promise<string | undefined> {
    const acc = normAddress(account);
    const p = await this.cache.get(`principalOf:${acc}`, async () => {
      const r = (await this.marketplace().getFunction('principalOf')(acc)) as string;
      return r === ZeroAddress ? null : normAddress(r);
    });
    return p ?? undefined;
  }

  /**
   * The principal's registered RSA key (PEM), checked against the hash the marketplace stores
   * (contracts/keys.ts); undefined for an unknown principal.
   */
  async rsaPublicKey(principal: string): Promise<string | undefined> {
    const p = normAddress(principal);
    const key = await this.cache.get(`rsa:${p}`, () =>
      inChildSpan('chain.call', { 'rpc.method': 'principalKey' }, async () => {
        return (await readPrincipalKey(this.provider, await this.marketplace().getAddress(), p)) ?? null;
      }),
    );
    return key ?? undefined;
  }

  async sensor(sensor: string): Promise<SensorInfo | undefined> {
    const s = normAddress(sensor);
    const c = await this.cache.get<CachedSensor | null>(`sensor:${s}`, () =>
      inChildSpan('chain.call', { 'rpc.method': 'sensor' }, () => this.loadSensor(s)),
    );
    return c ? { ...c, pricePerDataEntry: BigInt(c.pricePerDataEntry) } : undefined;
  }

  private async loadSensor(s: string): Promise<CachedSensor | null> {
    if (!((await this.marketplace().getFunction('isSensor')(s)) as boolean)) return null;
    const c = new Contract(s, SENSOR_ABI, this.provider);
    const [principal, owner, status, sensorType, price] = (await Promise.all([
      c.getFunction('principal')(),
      c.getFunction('owner')(),
      c.getFunction('status')(),
      c.getFunction('sensorType')(),
      c.getFunction('pricePerDataEntry')(),
    ])) as [string, string, bigint, bigint, bigint];
    const st = STATUS[Number(status)] ?? 'blocked';
    return {
      sensor: s,
      principal: normAddress(principal),
      owner: normAddress(owner),
      status: st,
      sensorType: Number(sensorType),
      pricePerDataEntry: price.toString(),
    };
  }

  async validSubscriptions(buyer: string, sensor: string): Promise<SubscriptionGrant[]> {
    const b = normAddress(buyer);
    const s = normAddress(sensor);
    const info = await this.sensor(s);
    // isDatastreamSubscriptionValid(): true while the sensor is not Blocked.
    if (!info || info.status === 'blocked') return [];
    const grants = await this.cache.get(`subs:${b}:${s}`, () =>
      inChildSpan('chain.call', { 'rpc.method': 'eth_getLogs' }, () => this.loadGrants(b, s)),
    );
    const now = Math.floor(Date.now() / 1000);
    return grants.filter((g) => g.startTimestamp <= now);
  }

  private async loadGrants(buyer: string, sensor: string): Promise<SubscriptionGrant[]> {
    const market = this.marketplace();
    const logs = await this.provider.getLogs({
      address: await market.getAddress(),
      topics: iface.encodeFilterTopics('Subscribed', [null, sensor, buyer]),
      fromBlock: this.o.fromBlock,
      toBlock: 'latest',
    });
    return logs.map((l) => toGrant(iface.parseLog(l)!.args as unknown as GrantArgs));
  }

  /** Reads a registration transaction: it succeeded and the marketplace logged SensorRegistered. */
  async sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> {
    const market = normAddress(await this.marketplace().getAddress());
    const receipt = await withTimeout(this.provider.getTransactionReceipt(txHash), this.o.rpcTimeoutMs);
    if (!receipt || receipt.status !== 1) return undefined;
    for (const l of receipt.logs) {
      if (normAddress(l.address) !== market) continue;
      const ev = iface.parseLog(l);
      if (ev?.name === 'SensorRegistered') {
        const sensor = normAddress(ev.args.sensor as string);
        await this.cache.invalidate(`sensor:${sensor}`);
        return { sensor, principal: normAddress(ev.args.principal as string) };
      }
    }
    return undefined;
  }

  onEvent(listener: (e: EntitlementEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts following marketplace events from the current block. */
  start(): void {
    if (!this.market) return;
    this.timer = setInterval(() => void this.poll(), this.o.pollIntervalMs);
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.provider.destroy();
  }

  /** One round of event reading (also called by tests to avoid waiting for the timer). */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const latest = await withTimeout(this.provider.getBlockNumber(), this.o.rpcTimeoutMs);
      if (this.lastBlock < 0) this.lastBlock = latest;
      if (latest > this.lastBlock) {
        const logs = await withTimeout(
          this.provider.getLogs({ address: this.o.marketplace, fromBlock: this.lastBlock + 1, toBlock: latest }),
          this.o.rpcTimeoutMs,
        );
        for (const l of logs) await this.apply(l);
        this.lastBlock = latest;
      }
    } catch (err) {
      this.log.warn({ err }, 'chain events not read; retrying');
    } finally {
      this.polling = false;
    }
  }

  private async apply(l: Log): Promise<void> {
    const ev = iface.parseLog(l);
    if (!ev) return;
    const a = ev.args;
    let e: EntitlementEvent | undefined;
    switch (ev.name) {
      case 'Subscribed': {
        const g = toGrant(a as unknown as GrantArgs);
        await this.cache.invalidate(`subs:${g.buyer}:${g.sensor}`);
        e = { kind: 'subscribed', grant: g };
        break;
      }
      case 'SensorStatusChanged': {
        const sensor = normAddress(a.sensor as string);
        await this.cache.invalidate(`sensor:${sensor}`);
        e = { kind: 'sensor-status', sensor, status: STATUS[Number(a.status)] ?? 'blocked' };
        break;
      }
      case 'SensorRegistered':
        await this.cache.invalidate(`sensor:${normAddress(a.sensor as string)}`);
        break;
      case 'PrincipalRegistered': {
        const owner = normAddress(a.owner as string);
        await this.cache.invalidate(`principalOf:${owner}`);
        e = { kind: 'principal-registered', principal: normAddress(a.principal as string), owner };
        break;
      }
      case 'PrincipalKeyUpdated': {
        const principal = normAddress(a.principal as string);
        await this.cache.invalidate(`rsa:${principal}`);
        e = { kind: 'principal-key-updated', principal };
        break;
      }
    }
    this.o.observer?.event(ev.name);
    if (e) for (const listener of this.listeners) listener(e);
  }
}

interface GrantArgs {
  subscription: string;
  buyer: string;
  sensor: string;
  startTimestamp: bigint;
  dataEntries: bigint;
}

function toGrant(a: GrantArgs): SubscriptionGrant {
  return {
    subscription: normAddress(a.subscription),
    buyer: normAddress(a.buyer),
    sensor: normAddress(a.sensor),
    startTimestamp: Number(a.startTimestamp),
    dataEntries: Number(a.dataEntries),
  };
}
