// Provisioning a simulated market against a running gateway and chain: K sellers with S sensors
// each and M buyers, every one through the real paths (principal registration with a real RSA
// key on chain, sensor registration and activation, the gateway's login challenge and activation
// endpoint, subscriptions paid on chain). Everything made is kept in a data folder, one profile
// per participant (profile.ts), so the next run reuses it and only makes what is missing.
//
//   <dataDir>/provision.json         the chain and marketplace this folder belongs to
//   <dataDir>/sellers/s000/ ...      seller profiles (sensor keyrings in sensor-keys/)
//   <dataDir>/buyers/b000/ ...       buyer profiles (received keys in bought-keys/)
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseUnits } from 'ethers';
import { itradeError } from '../protocol/errors.ts';
import { writeSecretFile } from '../sdk/node.ts';
import { limiter, type Limit } from '../lib/limiter.ts';
import {
  closeMarket,
  ensurePrincipalKey,
  login,
  openMarket,
  openProfile,
  registerPrincipal,
  registerSensor,
  sensorToken,
  setSensorActive,
  subscribeTo,
  type MarketContext,
  type MarketEndpoints,
} from '../participant/market-ops.ts';
import type { Profile, SubscriptionRecord } from '../participant/profile.ts';

export interface ProvisionOptions extends MarketEndpoints {
  dataDir: string;
  sellers: number;
  sensorsPerSeller: number;
  /** Total sensors, spread evenly over the sellers (overrides sensorsPerSeller). */
  sensors?: number;
  buyers: number;
  /** Sensors each buyer subscribes to, assigned round-robin over all sensors (default 1). */
  sensorsPerBuyer?: number;
  /** Entries bought per subscription (default 10000). */
  dataEntries?: number;
  /** Subscriptions' startTimestamp, unix seconds (default 0: from the oldest stored entry). */
  startTimestamp?: number;
  /** 'missing' (default): buy only where the buyer holds no subscription yet; 'always': buy again. */
  subscribe?: 'missing' | 'always';
  /** Sensor types, assigned round-robin (default 0, 1, 2, 3). */
  sensorTypes?: readonly number[];
  /** Price of an entry of the cheapest sensor, in wei (default 1 gwei); others cost up to 4 times as much. */
  basePrice?: bigint;
  /** Operations at once (default 16). */
  concurrency?: number;
  onProgress?: (p: ProvisionProgress) => void;
}

export interface ProvisionProgress {
  step: 'principals' | 'sensors' | 'activations' | 'logins' | 'sensor-tokens' | 'subscriptions';
  done: number;
  total: number;
}

export interface ProvisionedPrincipal {
  dir: string;
  name: string;
  account: string;
  principal: string;
  /** Principal JWT (MQTT password of the key agent or the buyer). */
  token: string;
  rsaKeyFile: string;
}

export interface ProvisionedSensor {
  sensor: string;
  /** The seller's principal. */
  seller: string;
  sellerDir: string;
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  price: bigint;
  /** Sensor JWT (the device's MQTT password). */
  token: string;
  /** The seller's keyring folder; the device seals with `<keysDir>/<sensor>.json`. */
  keysDir: string;
}

export interface ProvisionedSeller extends ProvisionedPrincipal {
  keysDir: string;
  sensors: string[];
}

export interface ProvisionedBuyer extends ProvisionedPrincipal {
  keysDir: string;
  /** The sensors assigned to this buyer, each with at least one subscription. */
  sensors: string[];
  subscriptions: SubscriptionRecord[];
}

export interface Provisioned {
  chainId: number;
  marketplace: string;
  dataDir: string;
  sellers: ProvisionedSeller[];
  sensors: ProvisionedSensor[];
  buyers: ProvisionedBuyer[];
  created: { principals: number; sensors: number; subscriptions: number };
  /** When each step finished, ms after the start (steps overlap: sellers and buyers run side by side). */
  stepsDoneAtMs: Partial<Record<ProvisionProgress['step'], number>>;
  /** Wall time of the whole run, ms. */
  ms: number;
}

interface Run {
  o: Required<Omit<ProvisionOptions, 'env' | 'onProgress'>> & Pick<ProvisionOptions, 'onProgress'>;
  ctx: MarketContext;
  limit: Limit;
  cpu: Limit;
  created: Provisioned['created'];
  progress: Record<ProvisionProgress['step'], { done: number; total: number }>;
  t0: number;
  doneAt: Provisioned['stepsDoneAtMs'];
}

const STEPS: ProvisionProgress['step'][] = [
  'principals',
  'sensors',
  'activations',
  'logins',
  'sensor-tokens',
  'subscriptions',
];

function tick(r: Run, step: ProvisionProgress['step']): void {
  const p = r.progress[step];
  p.done++;
  if (p.done === p.total) r.doneAt[step] = Date.now() - r.t0;
  r.o.onProgress?.({ step, done: p.done, total: p.total });
}

function defaults(o: ProvisionOptions): Run['o'] {
  return {
    sensorsPerBuyer: 1,
    dataEntries: 10_000,
    startTimestamp: 0,
    subscribe: 'missing',
    sensorTypes: [0, 1, 2, 3],
    basePrice: parseUnits('1', 'gwei'),
    concurrency: 16,
    ...o,
  } as Run['o'];
}

/** The data folder belongs to one chain and marketplace; a reset chain needs a new folder. */
function claimDataDir(dir: string, ctx: MarketContext): void {
  const file = join(dir, 'provision.json');
  const mine = { format: 'itrade-provision/1', chainId: ctx.chainId, marketplace: ctx.marketplace };
  if (existsSync(file)) {
    const had = JSON.parse(readFileSync(file, 'utf8')) as typeof mine;
    if (had.chainId !== mine.chainId || had.marketplace !== mine.marketplace) {
      throw itradeError(
        'SIM_STATE_STALE',
        `${dir} was provisioned for marketplace ${had.marketplace} on chain ${had.chainId}; use another --data-dir`,
      );
    }
    return;
  }
  writeSecretFile(file, `${JSON.stringify(mine, null, 2)}\n`);
}

const pad = (i: number) => String(i).padStart(3, '0');

// Sensors spread over about 20 x 20 km around Zurich, a different spot for each index.
function placeSensor(i: number): { latitudeE6: number; longitudeE6: number } {
  const a = (i * 2654435761) % 1000;
  const b = (i * 40503 + 7919) % 1000;
  return { latitudeE6: 47_280_000 + a * 180, longitudeE6: 8_400_000 + b * 270 };
}

async function principal(r: Run, p: Profile, kind: 'seller' | 'buyer'): Promise<void> {
  const name = `sim-${kind}-${p.dir.slice(-4)}`;
  // Key generation is CPU work (about 0.25 s a key): its own queue, beside the chain's.
  await r.cpu(() => ensurePrincipalKey(p));
  const res = await r.limit(() =>
    registerPrincipal(r.ctx, p, { name, url: 'https://sim.itrade.invalid', email: `${name}@sim.itrade.invalid` }),
  );
  if (res.created) r.created.principals++;
  tick(r, 'principals');
}

/** Sensors of seller i: the total spread evenly, the first sellers taking one more. */
export function sensorsOfSeller(total: number, sellers: number, i: number): number {
  return Math.floor(total / sellers) + (i < total % sellers ? 1 : 0);
}

function wanted(r: Run, index: number): number {
  return sensorsOfSeller(r.o.sensors ?? r.o.sellers * r.o.sensorsPerSeller, r.o.sellers, index);
}

function sensorsOf(r: Run, p: Profile, index: number): string[] {
  return Object.keys(p.data.sensors).slice(0, wanted(r, index));
}

async function sellerPipeline(r: Run, p: Profile, index: number): Promise<void> {
  await principal(r, p, 'seller');
  const have = Object.keys(p.data.sensors).length;
  await Promise.all(
    Array.from({ length: Math.max(0, wanted(r, index) - have) }, (_, k) => {
      const i = (have + k) * r.o.sellers + index; // a distinct number per sensor, types spread over sellers
      const sensorType = r.o.sensorTypes[i % r.o.sensorTypes.length]!;
      const details = { sensorType, ...placeSensor(i), pricePerDataEntry: r.o.basePrice * BigInt(1 + (i % 4)) };
      return r.limit(() => registerSensor(r.ctx, p, details)).then(() => void r.created.sensors++);
    }),
  );
  const sensors = sensorsOf(r, p, index);
  for (const _ of sensors) tick(r, 'sensors');
  await Promise.all(
    sensors.map((s) => r.limit(() => setSensorActive(r.ctx, p, s, true)).then(() => tick(r, 'activations'))),
  );
  await r.limit(() => login(r.ctx, p, 600));
  tick(r, 'logins');
  await Promise.all(sensors.map((s) => r.limit(() => sensorToken(r.ctx, p, s)).then(() => tick(r, 'sensor-tokens'))));
}

async function buyerPipeline(r: Run, p: Profile, index: number, sensors: Promise<string[]>): Promise<void> {
  await principal(r, p, 'buyer');
  await r.limit(() => login(r.ctx, p, 600));
  tick(r, 'logins');
  const all = await sensors;
  const mine = assigned(all, index, r.o.sensorsPerBuyer);
  await Promise.all(
    mine.map(async (s) => {
      if (r.o.subscribe === 'always' || p.subscriptionsTo(s).length === 0) {
        await r.limit(() => subscribeTo(r.ctx, p, s, r.o.dataEntries, r.o.startTimestamp));
        r.created.subscriptions++;
      }
      tick(r, 'subscriptions');
    }),
  );
}

/** Buyer i takes k consecutive sensors starting at i*k (round-robin over all sensors). */
export function assigned(sensors: readonly string[], buyerIndex: number, k: number): string[] {
  if (sensors.length === 0) return [];
  const n = Math.min(k, sensors.length);
  return Array.from({ length: n }, (_, j) => sensors[(buyerIndex * n + j) % sensors.length]!);
}

/** Provisions (or reuses) the market described by `opts`; see the file comment. */
export async function provision(opts: ProvisionOptions): Promise<Provisioned> {
  const t0 = Date.now();
  const o = defaults(opts);
  const ctx = await openMarket(opts);
  try {
    claimDataDir(o.dataDir, ctx);
    const sellers = Array.from({ length: o.sellers }, (_, i) =>
      openProfile(ctx, join(o.dataDir, 'sellers', `s${pad(i)}`), `seller ${i}`),
    );
    const buyers = Array.from({ length: o.buyers }, (_, i) =>
      openProfile(ctx, join(o.dataDir, 'buyers', `b${pad(i)}`), `buyer ${i}`),
    );
    const nSensors = o.sensors ?? o.sellers * o.sensorsPerSeller;
    const totals = {
      principals: o.sellers + o.buyers,
      sensors: nSensors,
      activations: nSensors,
      logins: o.sellers + o.buyers,
      'sensor-tokens': nSensors,
      subscriptions: o.buyers * Math.min(o.sensorsPerBuyer, nSensors),
    };
    const progress = Object.fromEntries(STEPS.map((s) => [s, { done: 0, total: totals[s] }])) as Run['progress'];
    const r: Run = {
      o,
      ctx,
      limit: limiter(o.concurrency),
      cpu: limiter(Math.max(2, availableParallelism())),
      created: { principals: 0, sensors: 0, subscriptions: 0 },
      progress,
      t0,
      doneAt: {},
    };
    const sellersDone = Promise.all(sellers.map((p, i) => sellerPipeline(r, p, i)));
    const sensorList = sellersDone.then(() => sellers.flatMap((p, i) => sensorsOf(r, p, i)));
    sensorList.catch(() => undefined); // reported through sellersDone
    await Promise.all([sellersDone, ...buyers.map((p, i) => buyerPipeline(r, p, i, sensorList))]);
    return result(r, sellers, buyers, await sensorList, Date.now() - t0);
  } finally {
    closeMarket(ctx);
  }
}

function principalOf(p: Profile): ProvisionedPrincipal {
  return {
    dir: p.dir,
    name: p.data.name,
    account: p.address,
    principal: p.principal(),
    token: p.data.principalToken!.token,
    rsaKeyFile: p.principalKeyFile,
  };
}

function result(r: Run, sellers: Profile[], buyers: Profile[], sensorList: string[], ms: number): Provisioned {
  const sensors = sellers.flatMap((p, i) =>
    sensorsOf(r, p, i)
      .map((a) => p.data.sensors[a]!)
      .map((s): ProvisionedSensor => ({
        sensor: s.sensor,
        seller: p.principal(),
        sellerDir: p.dir,
        sensorType: s.sensorType,
        latitudeE6: s.latitudeE6,
        longitudeE6: s.longitudeE6,
        price: BigInt(s.price),
        token: s.token!.token,
        keysDir: p.sellerKeys().dir,
      })),
  );
  return {
    chainId: r.ctx.chainId,
    marketplace: r.ctx.marketplace,
    dataDir: r.o.dataDir,
    sellers: sellers.map((p, i) => ({ ...principalOf(p), keysDir: p.sellerKeys().dir, sensors: sensorsOf(r, p, i) })),
    sensors,
    buyers: buyers.map((p, i) => {
      const mine = assigned(sensorList, i, r.o.sensorsPerBuyer);
      return {
        ...principalOf(p),
        keysDir: p.buyerKeys().dir,
        sensors: mine,
        subscriptions: p.data.subscriptions.filter((s) => mine.includes(s.sensor)),
      };
    }),
    created: r.created,
    stepsDoneAtMs: r.doneAt,
    ms,
  };
}
