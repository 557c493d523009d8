// The marketplace's one-call views (docs/contracts-api.md, "Views") read for the index, many per
// eth_call through multicall and always at a given block, so what the index writes is the state
// of exactly that block, whichever instance reads it and whenever.
import { ZeroAddress, type Provider, type Result } from 'ethers';
import type { MarketRecord, PrincipalRecord, SensorRecord, SubscriptionRecord } from '../interfaces/catalogue.ts';
import { marketplaceInterface as iface, sensorStatusOf } from '../contracts/client.ts';
import { normAddress } from '../protocol/topics.ts';

/** Calls per eth_call: well inside a node's gas cap for views, small enough to answer fast. */
export const BATCH = 200;

export type Call = readonly [name: string, args: readonly unknown[]];
type Fields = Record<string, unknown>;

/** A sensor as sensorInfo / sensorsPage say, without its registration index. */
export type SensorState = Omit<SensorRecord, 'index'>;
export type PrincipalState = Omit<PrincipalRecord, 'index'>;
type MarketFields = Omit<MarketRecord, 'sensorTypes'> & { sensorTypeCount: number };

export class ChainViews {
  constructor(
    private readonly provider: Provider,
    readonly marketplace: string,
  ) {}

  async head(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  /** Each call's decoded result, in order: one eth_call per BATCH calls. */
  async multicall(block: number, calls: readonly Call[]): Promise<Result[]> {
    const out: Result[] = [];
    for (let i = 0; i < calls.length; i += BATCH) {
      const part = calls.slice(i, i + BATCH);
      const encoded = part.map(([name, args]) => iface.encodeFunctionData(name, args));
      const data = iface.encodeFunctionData('multicall', [encoded]);
      const raw = await this.provider.call({ to: this.marketplace, data, blockTag: block });
      const [results] = iface.decodeFunctionResult('multicall', raw) as unknown as [string[]];
      results.forEach((r, j) => out.push(iface.decodeFunctionResult(part[j]![0], r)));
    }
    return out;
  }

  async market(block: number, knownTypes?: readonly string[]): Promise<MarketRecord> {
    const names = ['owner', 'dspRegistrationPrice', 'sensorRegistrationPrice', 'commissionBps'];
    const counts = ['sensorCount', 'principalCount', 'sensorTypeCount'];
    const r = await this.multicall(
      block,
      [...names, ...counts].map((n) => [n, []] as const),
    );
    const [owner, pf, sf, cb, sc, pc, tc] = r.map((x) => x[0] as unknown);
    const m: MarketFields = {
      address: normAddress(this.marketplace),
      owner: normAddress(owner as string),
      principalFee: pf as bigint,
      sensorFee: sf as bigint,
      commissionBps: Number(cb),
      sensorCount: Number(sc),
      principalCount: Number(pc),
      sensorTypeCount: Number(tc),
    };
    const { sensorTypeCount, ...rest } = m;
    // Types are only ever added: names already read stay right.
    const have = knownTypes?.slice(0, sensorTypeCount) ?? [];
    const more = Array.from({ length: sensorTypeCount - have.length }, (_, i): Call => [
      'sensorTypeName',
      [have.length + i],
    ]);
    const added = (await this.multicall(block, more)).map((x) => String(x[0]));
    return { ...rest, sensorTypes: [...have, ...added] };
  }

  async sensors(block: number, addresses: readonly string[]): Promise<(SensorState | undefined)[]> {
    const r = await this.multicall(
      block,
      addresses.map((a) => ['sensorInfo', [a]] as const),
    );
    return r.map((x) => sensorState(x[0] as Fields));
  }

  async sensorsPage(block: number, offset: number, limit: number): Promise<SensorState[]> {
    const [r] = await this.multicall(block, [['sensorsPage', [offset, limit]]]);
    return (r![0] as Fields[]).map(sensorState).filter((s): s is SensorState => s !== undefined);
  }

  async principals(block: number, addresses: readonly string[]): Promise<(PrincipalState | undefined)[]> {
    const r = await this.multicall(
      block,
      addresses.map((a) => ['principalInfo', [a]] as const),
    );
    return r.map((x) => principalState(x[0] as Fields));
  }

  /** The principals of these owner accounts (accountInfo). */
  async accounts(block: number, accounts: readonly string[]): Promise<(PrincipalState | undefined)[]> {
    const r = await this.multicall(
      block,
      accounts.map((a) => ['accountInfo', [a]] as const),
    );
    return r.map((x) => principalState(x[0] as Fields));
  }

  async subscriptions(block: number, addresses: readonly string[]): Promise<(SubscriptionRecord | undefined)[]> {
    const r = await this.multicall(
      block,
      addresses.map((a) => ['subscriptionInfo', [a]] as const),
    );
    return r.map((x) => subscriptionState(x[0] as Fields));
  }

  /** `${kind}At(i)` for i in [from, to): the addresses of sensors, principals or subscriptions in creation order. */
  async addressesAt(
    block: number,
    kind: 'sensor' | 'principal' | 'subscription',
    from: number,
    to: number,
  ): Promise<string[]> {
    const calls = Array.from({ length: to - from }, (_, i) => [`${kind}At`, [from + i]] as const);
    return (await this.multicall(block, calls)).map((x) => normAddress(x[0] as string));
  }
}

function sensorState(r: Fields): SensorState | undefined {
  if (r.principal === ZeroAddress) return undefined;
  return {
    sensor: normAddress(r.sensor as string),
    principal: normAddress(r.principal as string),
    owner: normAddress(r.owner as string),
    sensorType: Number(r.sensorType),
    latitudeE6: Number(r.latitudeE6),
    longitudeE6: Number(r.longitudeE6),
    price: r.pricePerDataEntry as bigint,
    status: sensorStatusOf(r.status as bigint),
    subscriptionCount: Number(r.subscriptionCount),
  };
}

function principalState(r: Fields): PrincipalState | undefined {
  if (r.owner === ZeroAddress) return undefined;
  return {
    principal: normAddress(r.principal as string),
    owner: normAddress(r.owner as string),
    name: r.name as string,
    url: r.url as string,
    email: r.email as string,
    rsaPublicKeyHash: r.rsaPublicKeyHash as string,
    sensorCount: Number(r.sensorCount),
    pendingWithdrawal: r.pendingWithdrawal as bigint,
  };
}

function subscriptionState(r: Fields): SubscriptionRecord | undefined {
  if (r.subscription === ZeroAddress) return undefined;
  return {
    subscription: normAddress(r.subscription as string),
    buyer: normAddress(r.buyer as string),
    sensor: normAddress(r.sensor as string),
    startTimestamp: Number(r.startTimestamp),
    dataEntries: Number(r.dataEntries),
    createdAt: Number(r.createdAt),
    paid: r.paid as bigint,
  };
}
