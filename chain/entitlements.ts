// Entitlements from the chain (ethers v6, docs/contracts-api.md) behind the Redis cache. Every
// answer is one view call on the marketplace's current state (issue 16: nothing scans history):
// sensorInfo, principalOf, validSubscriptions per (buyer, sensor). With chain.confirmations > 0
// they are read at the follower's confirmed block, so an unconfirmed subscription grants nothing
// yet. Events come from the one ChainFollower (chain/follower.ts); the entitlement side of it
// (chain/entitlement-sink.ts) drops cached answers before listeners hear of an event, and takes
// back what a reorg removed.
import { JsonRpcProvider, Network, ZeroAddress, type BlockTag, type Result } from 'ethers';
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
import { marketplaceInterface as iface } from '../contracts/client.ts';
import { sensorView, subscriptionView } from '../contracts/views.ts';
import { ChainCache, withTimeout } from './cache.ts';
import { limiter } from '../lib/limiter.ts';
import { ObservedProvider, type ChainObserver } from './metrics.ts';
import { ChainFollower } from './follower.ts';
import { EntitlementSink, subsGroup } from './entitlement-sink.ts';
import { PairBatcher } from './batch.ts';
import { inChildSpan, type Context } from '../tracing/tracing.ts';

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
  /** Blocks an event must be under the head before it counts (0: at once). */
  confirmations?: number;
  /** Most (buyer, sensor) pairs one multicall asks about. */
  maxBatch?: number;
  /** Most blocks one eth_getLogs asks for. */
  maxLogRange?: number;
  /** Blocks of history the follower remembers to undo a reorg. */
  reorgDepth?: number;
  /** Metrics (RPC calls, cache hits and misses, events); none when absent. */
  observer?: ChainObserver;
}

/** A sensor registration proven by a transaction (sensor activation, paper III.B.2). */
export interface SensorRegistration {
  sensor: string;
  principal: string;
}

type CachedSensor = Omit<SensorInfo, 'pricePerDataEntry'> & { pricePerDataEntry: string };

// A thousand buyers subscribing at once would fire a thousand reads at the node together;
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
  readonly cache: ChainCache;
  /** Follows the marketplace's events; the catalogue adds itself as a second sink before start(). */
  readonly follower: ChainFollower | undefined;
  private readonly listeners = new Set<(e: EntitlementEvent) => void>();
  private readonly pairs: PairBatcher<SubscriptionGrant[]>;
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
    const slots = loadSlots(o);
    this.pairs = new PairBatcher(slots, o.maxBatch ?? 100, (pairs) =>
      withTimeout(this.loadGrants(pairs), o.rpcTimeoutMs),
    );
    this.cache = new ChainCache(
      redis,
      prefix,
      o.cacheTtlSec,
      o.rpcTimeoutMs,
      slots,
      o.observer ? (k, hit) => o.observer!.cache(k.slice(0, k.indexOf(':')), hit) : undefined,
    );
    if (!o.marketplace) return;
    const follow = {
      marketplace: o.marketplace,
      pollIntervalMs: o.pollIntervalMs,
      maxLogRange: o.maxLogRange ?? 2000,
      confirmations: o.confirmations ?? 0,
      reorgDepth: o.reorgDepth ?? 128,
      rpcTimeoutMs: o.rpcTimeoutMs,
    };
    this.follower = new ChainFollower(this.provider, redis, `${prefix}chain:follower`, follow, log);
    this.follower.add(new EntitlementSink(this, (e) => this.emit(e), o.observer));
  }

  private marketplace(): string {
    if (!this.o.marketplace)
      throw itradeError('CHAIN_UNAVAILABLE', 'no marketplace address is configured (broker.entitlements.marketplace)');
    return this.o.marketplace;
  }

  /** The block reads are made at: the head, or with confirmations the follower's confirmed block. */
  private async blockTag(): Promise<BlockTag> {
    const c = this.o.confirmations ?? 0;
    if (c === 0) return 'latest';
    return this.follower?.confirmed ?? Math.max(0, (await this.provider.getBlockNumber()) - c);
  }

  /** One eth_call of a marketplace view. */
  private async view(name: string, args: unknown[]): Promise<Result> {
    const data = iface.encodeFunctionData(name, args);
    const raw = await this.provider.call({ to: this.marketplace(), data, blockTag: await this.blockTag() });
    return iface.decodeFunctionResult(name, raw);
  }

  async principalOfAccount(account: string): Promise<string | undefined> {
    const acc = normAddress(account);
    const p = await this.cache.get(`principalOf:${acc}`, async () => {
      const r = (await this.view('principalOf', [acc]))[0] as string;
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
        return (await readPrincipalKey(this.provider, this.marketplace(), p)) ?? null;
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

  /** sensorInfo: one eth_call (all zero for an address the marketplace did not register). */
  private async loadSensor(s: string): Promise<CachedSensor | null> {
    const v = sensorView((await this.view('sensorInfo', [s]))[0] as Record<string, unknown>);
    if (!v) return null;
    return {
      sensor: s,
      principal: normAddress(v.principal),
      owner: normAddress(v.owner),
      status: v.status,
      sensorType: v.sensorType,
      pricePerDataEntry: v.pricePerDataEntry.toString(),
    };
  }

  /**
   * validSubscriptions(buyer, sensor) on chain: none while the sensor is Blocked, the contract
   * says. At most one read per pair; pairs waiting together share one multicall (chain/batch.ts).
   */
  async validSubscriptions(buyer: string, sensor: string, trace?: Context): Promise<SubscriptionGrant[]> {
    const b = normAddress(buyer);
    const s = normAddress(sensor);
    const grants = await this.cache.get(
      b,
      // `trace`: the caller's span, carried here past the cache's await (tracing/scope.ts).
      () => inChildSpan('chain.call', { 'rpc.method': 'validSubscriptions' }, () => this.pairs.load(b, s), trace),
      subsGroup(s),
      false,
    );
    const now = Math.floor(Date.now() / 1000);
    return grants.filter((g) => g.startTimestamp <= now);
  }

  /** One eth_call for any number of pairs: validSubscriptions alone, or several through multicall. */
  private async loadGrants(pairs: (readonly [string, string])[]): Promise<SubscriptionGrant[][]> {
    type Fields = Record<string, unknown>;
    if (pairs.length === 1) {
      const [b, s] = pairs[0]!;
      return [grantsOf(b, s, ((await this.view('validSubscriptions', [b, s])) as unknown as [Fields[]])[0])];
    }
    const calls = pairs.map(([b, s]) => validSubscriptionsCall(b, s));
    const [results] = (await this.view('multicall', [calls])) as unknown as [string[]];
    return pairs.map(([b, s], i) => {
      const [list] = iface.decodeFunctionResult('validSubscriptions', results[i]!) as unknown as [Fields[]];
      return grantsOf(b, s, list);
    });
  }

  /** Reads a registration transaction: it succeeded and the marketplace logged SensorRegistered. */
  async sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> {
    const market = normAddress(this.marketplace());
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

  private emit(e: EntitlementEvent): void {
    if (!this.stopped) for (const listener of this.listeners) listener(e);
  }

  /** Starts following marketplace events (after every sink was added). */
  start(): void {
    this.follower?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower?.stop();
    this.provider.destroy();
  }

  /** One round of event reading (tests call it to avoid waiting for the timer). */
  async poll(): Promise<void> {
    await this.follower?.poll();
  }
}

// ethers' encodeFunctionData looks the function up by name and hashes its signature for the
// selector on every call: half of a 1,000-buyer storm's chain CPU in a profile (issue 16). The
// call is a selector and two addresses, each left-padded to a 32-byte word (Solidity ABI).
const VALID_SUBSCRIPTIONS = iface.getFunction('validSubscriptions')!.selector;

/** validSubscriptions(buyer, sensor) calldata; both are lower-case 0x addresses (normAddress). */
export function validSubscriptionsCall(buyer: string, sensor: string): string {
  return VALID_SUBSCRIPTIONS + buyer.slice(2).padStart(64, '0') + sensor.slice(2).padStart(64, '0');
}

/** A validSubscriptions answer as grants (ethers' Result copied to a plain array first). */
function grantsOf(buyer: string, sensor: string, list: readonly Record<string, unknown>[]): SubscriptionGrant[] {
  return [...list].flatMap((r) => {
    const v = subscriptionView(r);
    if (!v) return [];
    const { startTimestamp, dataEntries } = v;
    return [{ subscription: normAddress(v.subscription), buyer, sensor, startTimestamp, dataEntries }];
  });
}
