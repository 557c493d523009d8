// Small typed helpers over ethers v6 for the gateway, the simulator and the tests: deploy the
// marketplace, attach to any entity by address, register principals and sensors, subscribe,
// and read the marketplace's events (it emits every event, so one address filter follows all).
// The one-call views are in contracts/views.ts, principals' RSA keys in contracts/keys.ts.
import {
  ContractFactory,
  Interface,
  isError,
  type ContractRunner,
  type ContractTransactionReceipt,
  type Filter,
  type Log,
  type Provider,
  type Signer,
} from 'ethers';
import { DataMarketplaceAbi, DataMarketplaceBytecode } from './generated/DataMarketplace.ts';
import { DataStreamPrincipalAbi } from './generated/DataStreamPrincipal.ts';
import { DataStreamSubscriptionAbi } from './generated/DataStreamSubscription.ts';
import { SensorAbi } from './generated/Sensor.ts';
import type { SensorStatus } from '../interfaces/layers.ts';
import { itradeError } from '../protocol/errors.ts';
import { typedContract, type AbiEventUnion, type TypedContract } from './typed.ts';

export type MarketplaceContract = TypedContract<typeof DataMarketplaceAbi>;
export type PrincipalContract = TypedContract<typeof DataStreamPrincipalAbi>;
export type SensorContract = TypedContract<typeof SensorAbi>;
export type SubscriptionContract = TypedContract<typeof DataStreamSubscriptionAbi>;

/** DataMarketplace.apiVersion() of the contracts this code is built for (docs/contracts-api.md). */
export const MARKETPLACE_API_VERSION = 2;

/** Sensor.status() values (docs/contracts-api.md). */
export const SensorStatusCode = { Inactive: 0, Active: 1, Blocked: 2 } as const;

/** Sensor.status() or SensorStatusChanged.status as interfaces/layers.ts names it. */
export function sensorStatusOf(code: bigint | number): SensorStatus {
  const names: readonly SensorStatus[] = ['inactive', 'active', 'blocked'];
  const name = names[Number(code)];
  if (name === undefined) throw new RangeError(`not a sensor status: ${code}`);
  return name;
}

/** Sensor types the marketplace starts with; addSensorType appends more. */
export const BUILTIN_SENSOR_TYPES = ['Temperature', 'Humidity', 'AirPollution', 'WaterPollution'] as const;

/** Decodes logs, calldata and errors of every marketplace contract (each ABI carries all errors). */
export const marketplaceInterface = new Interface(DataMarketplaceAbi);

export interface LogMeta {
  address: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}
/** A decoded marketplace event: `if (e.name === 'Subscribed') e.args.paid` is a bigint. */
export type MarketplaceEvent = AbiEventUnion<typeof DataMarketplaceAbi> & LogMeta;

export interface MarketplaceParams {
  dspRegistrationPrice: bigint;
  sensorRegistrationPrice: bigint;
  commissionBps: number;
}

export interface DeployedMarketplace {
  marketplace: MarketplaceContract;
  address: string;
  transactionHash: string;
  blockNumber: number;
}

export async function deployMarketplace(signer: Signer, params: MarketplaceParams): Promise<DeployedMarketplace> {
  const factory = new ContractFactory(DataMarketplaceAbi, DataMarketplaceBytecode, signer);
  const contract = await factory.deploy(
    params.dspRegistrationPrice,
    params.sensorRegistrationPrice,
    params.commissionBps,
  );
  const receipt = await mined(contract.deploymentTransaction()!);
  if (!receipt.contractAddress) throw itradeError('CHAIN_DEPLOY', 'the deployment transaction created no contract');
  const address = receipt.contractAddress;
  return {
    marketplace: attachMarketplace(address, signer),
    address,
    transactionHash: receipt.hash,
    blockNumber: receipt.blockNumber,
  };
}

export const attachMarketplace = (address: string, runner: ContractRunner | null): MarketplaceContract =>
  typedContract(address, DataMarketplaceAbi, runner);
export const attachPrincipal = (address: string, runner: ContractRunner | null): PrincipalContract =>
  typedContract(address, DataStreamPrincipalAbi, runner);
export const attachSensor = (address: string, runner: ContractRunner | null): SensorContract =>
  typedContract(address, SensorAbi, runner);
export const attachSubscription = (address: string, runner: ContractRunner | null): SubscriptionContract =>
  typedContract(address, DataStreamSubscriptionAbi, runner);

/** A sent transaction: ethers' ContractTransactionResponse, TransactionResponse. */
export interface Waitable<R> {
  wait(confirms?: number, timeoutMs?: number): Promise<R | null>;
}

/**
 * Waits for a sent transaction; ethers throws (CALL_EXCEPTION) when it reverted.
 *
 * ethers 6's wait() reads the receipt once, then waits for "block" events from a poller of the
 * head whose first poll only notes the head. A transaction mined between the two is noticed at
 * the next block, and a chain that mines only on demand (anvil's automine: the demo, the tests)
 * may never make one: the page waited for good (CI, 2026-12-03). Each `recheckMs` the wait starts
 * again, and its first step reads the receipt; replacement detection stays ethers'.
 * test/integration/mined.test.ts fails when ethers stops missing it.
 */
export async function mined<R = ContractTransactionReceipt>(
  tx: Promise<Waitable<R>> | Waitable<R>,
  recheckMs = 2000,
): Promise<R> {
  const sent = await tx;
  for (;;) {
    try {
      const receipt = await sent.wait(1, recheckMs);
      if (!receipt) throw new Error('transaction was replaced or dropped');
      return receipt;
    } catch (err) {
      if (!isError(err, 'TIMEOUT')) throw err;
    }
  }
}

function eventIn<N extends MarketplaceEvent['name']>(
  receipt: ContractTransactionReceipt,
  name: N,
): Extract<MarketplaceEvent, { name: N }> {
  const found = parseMarketplaceLogs(receipt.logs).find((e) => e.name === name);
  if (!found) throw new Error(`transaction ${receipt.hash} emitted no ${name}`);
  return found as Extract<MarketplaceEvent, { name: N }>;
}

export interface PrincipalDetails {
  name: string;
  url: string;
  email: string;
  rsaPublicKey: string;
}

/** Registers the runner's account as a principal, paying exactly the current fee. */
export async function registerPrincipal(
  marketplace: MarketplaceContract,
  details: PrincipalDetails,
): Promise<{ principal: PrincipalContract; address: string; receipt: ContractTransactionReceipt }> {
  const value = await marketplace.dspRegistrationPrice();
  const { name, url, email, rsaPublicKey } = details;
  const receipt = await mined(marketplace.registerDataStreamPrincipal(name, url, email, rsaPublicKey, { value }));
  const address = eventIn(receipt, 'PrincipalRegistered').args.principal;
  return { principal: attachPrincipal(address, marketplace.runner), address, receipt };
}

export interface SensorDetails {
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  pricePerDataEntry: bigint;
}

/**
 * Registers a sensor of this principal (runner: its owner) through its marketplace, paying
 * exactly the current fee. Starts Inactive.
 */
export async function registerSensor(
  principal: PrincipalContract,
  details: SensorDetails,
): Promise<{ sensor: SensorContract; address: string; receipt: ContractTransactionReceipt }> {
  const marketplace = attachMarketplace(await principal.marketplace(), principal.runner);
  const value = await marketplace.sensorRegistrationPrice();
  const { sensorType, latitudeE6, longitudeE6, pricePerDataEntry } = details;
  const receipt = await mined(
    marketplace.registerSensor(await principal.getAddress(), sensorType, latitudeE6, longitudeE6, pricePerDataEntry, {
      value,
    }),
  );
  const address = eventIn(receipt, 'SensorRegistered').args.sensor;
  return { sensor: attachSensor(address, principal.runner), address, receipt };
}

export interface SubscribeOptions {
  startTimestamp: bigint | number;
  dataEntries: bigint | number;
  /** Wei to send; default: exactly price × entries at the current price. */
  value?: bigint;
}

/** Subscribes `buyerPrincipal` (runner: its owner account) to the sensor's stream, through the sensor's marketplace. */
export async function subscribe(
  sensor: SensorContract,
  buyerPrincipal: string,
  opts: SubscribeOptions,
): Promise<{ subscription: SubscriptionContract; address: string; paid: bigint; receipt: ContractTransactionReceipt }> {
  const marketplace = attachMarketplace(await sensor.marketplace(), sensor.runner);
  const value = opts.value ?? (await sensor.pricePerDataEntry()) * BigInt(opts.dataEntries);
  const receipt = await mined(
    marketplace.subscribe(await sensor.getAddress(), buyerPrincipal, opts.startTimestamp, opts.dataEntries, { value }),
  );
  const { args } = eventIn(receipt, 'Subscribed');
  return {
    subscription: attachSubscription(args.subscription, sensor.runner),
    address: args.subscription,
    paid: args.paid,
    receipt,
  };
}

/** Decodes the logs the marketplace emitted; logs of other contracts are skipped. */
export function parseMarketplaceLogs(logs: readonly Log[], marketplace?: string): MarketplaceEvent[] {
  const out: MarketplaceEvent[] = [];
  for (const log of logs) {
    if (marketplace !== undefined && log.address.toLowerCase() !== marketplace.toLowerCase()) continue;
    const parsed = marketplaceInterface.parseLog(log);
    if (!parsed) continue;
    const args = Object.fromEntries(parsed.fragment.inputs.map((p, i) => [p.name, parsed.args[i] as unknown]));
    const { address, blockNumber, transactionHash, index: logIndex } = log;
    out.push({ name: parsed.name, args, address, blockNumber, transactionHash, logIndex } as MarketplaceEvent);
  }
  return out;
}

/** The one filter that follows the whole marketplace (provider.on(filter, ...) or getLogs). */
export function marketplaceLogFilter(marketplace: string, fromBlock?: number, toBlock?: number | 'latest'): Filter {
  return { address: marketplace, fromBlock, toBlock };
}

/** Every marketplace event in the block range, in chain order. */
export async function readMarketplaceEvents(
  provider: Provider,
  marketplace: string,
  fromBlock = 0,
  toBlock: number | 'latest' = 'latest',
): Promise<MarketplaceEvent[]> {
  return parseMarketplaceLogs(
    await provider.getLogs(marketplaceLogFilter(marketplace, fromBlock, toBlock)),
    marketplace,
  );
}

/** The marketplace custom error a failed call or transaction reverted with, if any. */
export function decodeMarketplaceError(err: unknown): { name: string; args: unknown[] } | undefined {
  const e = err as {
    revert?: { name: string; args: unknown[] } | null;
    data?: unknown;
    info?: { error?: { data?: unknown } };
  };
  if (e?.revert) return { name: e.revert.name, args: [...e.revert.args] };
  const data =
    typeof e?.data === 'string' ? e.data : typeof e?.info?.error?.data === 'string' ? e.info.error.data : undefined;
  if (!data) return undefined;
  try {
    const parsed = marketplaceInterface.parseError(data);
    return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
  } catch {
    return undefined;
  }
}
