// What a market participant does, one operation at a time, on its profile: register as a
// principal (with a real RSA key on chain), log in, register / activate / deactivate sensors and
// get their device tokens, subscribe to a sensor. Each operation is idempotent where it can be and
// records its result in the profile, so a later run (or another `itrade` command) reuses it.
// The provisioner runs many of these in parallel; the CLI runs one.
import { ZeroAddress, type JsonRpcProvider, type Signer } from 'ethers';
import {
  attachMarketplace,
  attachPrincipal,
  attachSensor,
  registerPrincipal as registerOnChain,
  registerSensor as registerSensorOnChain,
  sensorStatusOf,
  subscribe as subscribeOnChain,
  type MarketplaceContract,
} from '../contracts/client.ts';
import { readPrincipalKey, rsaKeyHash } from '../contracts/keys.ts';
import type { SensorStatus } from '../interfaces/layers.ts';
import { itradeError, oneLine } from '../protocol/errors.ts';
import { chainProvider, createFunder, gasAllowance, nonceManaged, sent, txError, type Funder } from './chain.ts';
import { PrincipalKey, savePrincipalKey } from '../sdk/node.ts';
import { GatewayApi } from '../sdk/node.ts';
import { fresh, Profile, type SensorRecord, type SubscriptionRecord } from './profile.ts';

export interface MarketContext {
  provider: JsonRpcProvider;
  chainId: number;
  marketplace: string;
  api: GatewayApi;
  funder: Funder;
  env: NodeJS.ProcessEnv;
  /** One nonce-managed signer per account, so an account may have several transactions in flight. */
  signers: Map<string, Signer>;
}

export interface MarketEndpoints {
  rpcUrl: string;
  marketplace: string;
  apiUrl: string;
  env?: NodeJS.ProcessEnv;
}

export async function openMarket(e: MarketEndpoints): Promise<MarketContext> {
  const provider = chainProvider(e.rpcUrl);
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch (err) {
    provider.destroy();
    throw itradeError('CHAIN_RPC', `${e.rpcUrl} does not answer: ${oneLine(err)}`, { cause: err });
  }
  const env = e.env ?? process.env;
  return {
    provider,
    chainId,
    marketplace: e.marketplace.toLowerCase(),
    api: new GatewayApi(e.apiUrl),
    funder: await createFunder(provider, env),
    env,
    signers: new Map(),
  };
}

export function closeMarket(ctx: MarketContext): void {
  ctx.provider.destroy();
}

function signer(ctx: MarketContext, p: Profile): Signer {
  let s = ctx.signers.get(p.address);
  if (!s) ctx.signers.set(p.address, (s = nonceManaged(p.wallet(ctx.provider, ctx.env))));
  return s;
}

/** After a failed send the nonce manager may have counted a nonce that was never used. */
function failed(ctx: MarketContext, p: Profile, what: string, err: unknown): Error {
  ctx.signers.delete(p.address);
  return txError(what, err);
}

function market(ctx: MarketContext, runner: Signer | JsonRpcProvider): MarketplaceContract {
  return attachMarketplace(ctx.marketplace, runner);
}

/** The profile in `dir` (created with a new or the environment's account when missing), checked against this market. */
export function openProfile(ctx: MarketContext, dir: string, name: string, keyEnv?: string): Profile {
  const p = Profile.exists(dir)
    ? Profile.load(dir)
    : Profile.create(dir, { name, chainId: ctx.chainId, marketplace: ctx.marketplace, keyEnv, env: ctx.env });
  return p.checkMarket(ctx.chainId, ctx.marketplace);
}

// Gas of each call (docs/contracts.md, measured), rounded up.
const GAS = { principal: 700_000n, sensor: 300_000n, activate: 60_000n, subscribe: 300_000n };

async function fund(ctx: MarketContext, p: Profile, wei: bigint, gas: bigint): Promise<void> {
  await ctx.funder.fund(p.address, wei + (await gasAllowance(ctx.provider, gas)));
}

export interface PrincipalDetails {
  name: string;
  url: string;
  email: string;
}

/** Creates the profile's RSA key pair once (principal.pem, 0600). */
export async function ensurePrincipalKey(p: Profile): Promise<void> {
  if (!p.hasPrincipalKey()) savePrincipalKey(await PrincipalKey.generate(), p.principalKeyFile);
}

/**
 * Registers the profile's account as a principal with a fresh RSA key pair (the private key
 * stays in principal.pem). Already registered: checks the chain agrees and does nothing.
 */
export async function registerPrincipal(
  ctx: MarketContext,
  p: Profile,
  d: PrincipalDetails,
): Promise<{ principal: string; created: boolean }> {
  const onChain = ((await market(ctx, ctx.provider).principalOf(p.address)) as string).toLowerCase();
  if (p.data.principal) {
    if (onChain !== p.data.principal)
      throw itradeError(
        'SIM_STATE_STALE',
        `profile ${p.dir}: principal ${p.data.principal} is not on this chain (was it reset?)`,
      );
    return { principal: p.data.principal, created: false };
  }
  await ensurePrincipalKey(p);
  const pem = (await p.principalKey()).publicKeyPem();
  if (onChain !== ZeroAddress.toLowerCase()) {
    // Registered by an earlier run that stopped before saving: adopt it if the key is ours.
    const chainHash = await attachPrincipal(onChain, ctx.provider).rsaPublicKeyHash();
    if (chainHash !== rsaKeyHash(pem))
      throw itradeError('SIM_PROFILE', `account ${p.address} already owns principal ${onChain} with another RSA key`);
    p.data.principal = onChain;
  } else {
    await fund(ctx, p, await market(ctx, ctx.provider).dspRegistrationPrice(), GAS.principal);
    try {
      const r = await registerOnChain(market(ctx, signer(ctx, p)), { ...d, rsaPublicKey: pem });
      p.data.principal = r.address.toLowerCase();
    } catch (err) {
      throw failed(ctx, p, `registerDataStreamPrincipal from ${p.address}`, err);
    }
  }
  p.save();
  return { principal: p.data.principal, created: true };
}

/** A principal JWT valid for at least `marginSec` more seconds (logs in again when needed). */
export async function login(ctx: MarketContext, p: Profile, marginSec = 300): Promise<string> {
  p.principal();
  if (fresh(p.data.principalToken, marginSec)) return p.data.principalToken.token;
  const t = await ctx.api.login(p.wallet(ctx.provider, ctx.env));
  p.data.principalToken = { token: t.token, expiresAt: t.expiresAt };
  p.save();
  return t.token;
}

export interface SensorDetails {
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  pricePerDataEntry: bigint;
}

/** Registers a sensor of the profile's principal (Inactive) and creates its keyring (key id 1). */
export async function registerSensor(ctx: MarketContext, p: Profile, d: SensorDetails): Promise<SensorRecord> {
  const principal = p.principal();
  await fund(ctx, p, await market(ctx, ctx.provider).sensorRegistrationPrice(), GAS.sensor);
  let address: string;
  let txHash: string;
  try {
    const r = await registerSensorOnChain(attachPrincipal(principal, signer(ctx, p)), d);
    address = r.address.toLowerCase();
    txHash = r.receipt.hash;
  } catch (err) {
    throw failed(ctx, p, `registerSensor of principal ${principal}`, err);
  }
  if (!p.sellerKeys().has(address)) p.sellerKeys().create(address);
  const rec: SensorRecord = {
    sensor: address,
    sensorType: d.sensorType,
    latitudeE6: d.latitudeE6,
    longitudeE6: d.longitudeE6,
    price: d.pricePerDataEntry.toString(),
    txHash,
  };
  p.data.sensors[address] = rec;
  p.save();
  return rec;
}

export async function sensorStatus(ctx: MarketContext, sensor: string): Promise<SensorStatus> {
  if (!(await market(ctx, ctx.provider).isSensor(sensor)))
    throw itradeError('SIM_PROFILE', `${sensor} is not a sensor of marketplace ${ctx.marketplace}`);
  return sensorStatusOf(await attachSensor(sensor, ctx.provider).status());
}

/** Activates or deactivates a sensor on chain; nothing to do when it already is. */
export async function setSensorActive(
  ctx: MarketContext,
  p: Profile,
  sensor: string,
  active: boolean,
): Promise<boolean> {
  p.sensor(sensor);
  const status = await sensorStatus(ctx, sensor);
  if (status === 'blocked') throw itradeError('SIM_TX_FAILED', `sensor ${sensor} is blocked by the marketplace owner`);
  if ((status === 'active') === active) return false;
  await fund(ctx, p, 0n, GAS.activate);
  const s = attachSensor(sensor, signer(ctx, p));
  try {
    await sent(`${active ? 'activate' : 'deactivate'} ${sensor}`, active ? s.activate() : s.deactivate());
  } catch (err) {
    throw failed(ctx, p, `${active ? 'activate' : 'deactivate'} ${sensor}`, err);
  }
  return true;
}

/**
 * The device's JWT, valid for at least `marginSec` more seconds: from the profile, else through
 * the gateway's activation endpoint with the registration transaction as proof.
 */
export async function sensorToken(ctx: MarketContext, p: Profile, sensor: string, marginSec = 86_400): Promise<string> {
  const rec = p.sensor(sensor);
  if (fresh(rec.token, marginSec)) return rec.token.token;
  const t = await ctx.api.activateSensor(await login(ctx, p), rec.txHash);
  rec.token = { token: t.token, expiresAt: t.expiresAt };
  p.save();
  return t.token;
}

/** Buys `dataEntries` entries of the sensor for the profile's principal, paying exactly the price. */
export async function subscribeTo(
  ctx: MarketContext,
  p: Profile,
  sensor: string,
  dataEntries: number,
  startTimestamp = 0,
): Promise<SubscriptionRecord> {
  const principal = p.principal();
  const s = sensor.toLowerCase();
  const price = await attachSensor(s, ctx.provider).pricePerDataEntry();
  await fund(ctx, p, price * BigInt(dataEntries), GAS.subscribe);
  try {
    const r = await subscribeOnChain(attachSensor(s, signer(ctx, p)), principal, { startTimestamp, dataEntries });
    const rec: SubscriptionRecord = {
      subscription: r.address.toLowerCase(),
      sensor: s,
      startTimestamp,
      dataEntries,
      paid: r.paid.toString(),
      boughtAt: Date.now(),
    };
    p.data.subscriptions.push(rec);
    p.save();
    return rec;
  } catch (err) {
    throw failed(ctx, p, `subscribe to ${s}`, err);
  }
}

/** The seller principal of a sensor and its on-chain RSA public key (to check wrapped keys' signatures). */
export async function sellerPublicKey(ctx: MarketContext, sensor: string): Promise<string | undefined> {
  const principal = await attachSensor(sensor, ctx.provider).principal();
  return readPrincipalKey(ctx.provider, ctx.marketplace, principal);
}
