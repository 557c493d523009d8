// The marketplace's one-call views (docs/contracts-api.md, "Views") as plain TypeScript values:
// numbers for small integers, bigints for wei, checksummed addresses as ethers
// gives them, `undefined` where the contract answers an all-zero view (not an entity of ours).
// Each helper is one eth_call; batchValidSubscriptions is one eth_call for any number of pairs.
import { ZeroAddress } from 'ethers';
import type { SensorStatus } from '../interfaces/layers.ts';
import { marketplaceInterface, sensorStatusOf, type MarketplaceContract } from './client.ts';

export interface PrincipalView {
  principal: string;
  owner: string;
  name: string;
  url: string;
  email: string;
  /** keccak256 of the UTF-8 PEM; the key itself is in the PrincipalKeyUpdated event of rsaPublicKeyBlock. */
  rsaPublicKeyHash: string;
  rsaPublicKeyBlock: number;
  sensorCount: number;
  /** Wei the principal's owner may withdraw. */
  pendingWithdrawal: bigint;
}

export interface SensorView {
  sensor: string;
  principal: string;
  owner: string;
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  pricePerDataEntry: bigint;
  status: SensorStatus;
  subscriptionCount: number;
}

export interface SubscriptionView {
  subscription: string;
  buyer: string;
  sensor: string;
  startTimestamp: number;
  dataEntries: number;
  createdAt: number;
  paid: bigint;
}

type Fields = Record<string, unknown>;
const num = (v: unknown): number => Number(v as bigint);

function principalView(r: Fields): PrincipalView | undefined {
  if (r.owner === ZeroAddress) return undefined;
  return {
    principal: r.principal as string,
    owner: r.owner as string,
    name: r.name as string,
    url: r.url as string,
    email: r.email as string,
    rsaPublicKeyHash: r.rsaPublicKeyHash as string,
    rsaPublicKeyBlock: num(r.rsaPublicKeyBlock),
    sensorCount: num(r.sensorCount),
    pendingWithdrawal: r.pendingWithdrawal as bigint,
  };
}

/** A SensorView struct as ethers decodes it; undefined for the all-zero answer about a non-sensor. */
export function sensorView(r: Fields): SensorView | undefined {
  if (r.principal === ZeroAddress) return undefined;
  return {
    sensor: r.sensor as string,
    principal: r.principal as string,
    owner: r.owner as string,
    sensorType: num(r.sensorType),
    latitudeE6: num(r.latitudeE6),
    longitudeE6: num(r.longitudeE6),
    pricePerDataEntry: r.pricePerDataEntry as bigint,
    status: sensorStatusOf(r.status as bigint),
    subscriptionCount: num(r.subscriptionCount),
  };
}

/** A SubscriptionView struct as ethers decodes it; undefined for the all-zero answer. */
export function subscriptionView(r: Fields): SubscriptionView | undefined {
  if (r.subscription === ZeroAddress) return undefined;
  return {
    subscription: r.subscription as string,
    buyer: r.buyer as string,
    sensor: r.sensor as string,
    startTimestamp: num(r.startTimestamp),
    dataEntries: num(r.dataEntries),
    createdAt: num(r.createdAt),
    paid: r.paid as bigint,
  };
}

const defined = <T>(v: T | undefined): v is T => v !== undefined;

export async function principalInfo(m: MarketplaceContract, principal: string): Promise<PrincipalView | undefined> {
  return principalView(await m.principalInfo(principal));
}

/** The account's principal, in one call (undefined: the account registered none). */
export async function accountInfo(m: MarketplaceContract, account: string): Promise<PrincipalView | undefined> {
  return principalView(await m.accountInfo(account));
}

export async function sensorInfo(m: MarketplaceContract, sensor: string): Promise<SensorView | undefined> {
  return sensorView(await m.sensorInfo(sensor));
}

/** Sensors [offset, offset + limit) in registration order: a page of the catalogue. */
export async function sensorsPage(m: MarketplaceContract, offset: number, limit: number): Promise<SensorView[]> {
  return (await m.sensorsPage(offset, limit)).map(sensorView).filter(defined);
}

export async function subscriptionInfo(
  m: MarketplaceContract,
  subscription: string,
): Promise<SubscriptionView | undefined> {
  return subscriptionView(await m.subscriptionInfo(subscription));
}

/** The buyer principal's subscriptions to the sensor that count now: none while the sensor is Blocked. */
export async function validSubscriptions(
  m: MarketplaceContract,
  buyer: string,
  sensor: string,
): Promise<SubscriptionView[]> {
  return (await m.validSubscriptions(buyer, sensor)).map(subscriptionView).filter(defined);
}

/** validSubscriptions for many (buyer, sensor) pairs in one eth_call (the marketplace's multicall). */
export async function batchValidSubscriptions(
  m: MarketplaceContract,
  pairs: readonly (readonly [string, string])[],
): Promise<SubscriptionView[][]> {
  if (pairs.length === 0) return [];
  const calls = pairs.map(([buyer, sensor]) =>
    marketplaceInterface.encodeFunctionData('validSubscriptions', [buyer, sensor]),
  );
  const results = await m.multicall(calls);
  return results.map((data) => {
    const [list] = marketplaceInterface.decodeFunctionResult('validSubscriptions', data) as unknown as [Fields[]];
    return list.map(subscriptionView).filter(defined);
  });
}
