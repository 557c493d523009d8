// `me`: the signed-in principal (the token's subject), its sensors, and what it bought, per sensor
// with the entries paid (its subscriptions that count now), left (the meter) and delivered.
import type { IResolvers } from 'mercurius';
import type { SensorRecord, SubscriptionRecord } from '../../interfaces/catalogue.ts';
import type { Ctx } from '../context.ts';
import { sensorConnection, sensorQuery } from './catalogue.ts';

interface MeRoot {
  address: string;
  account: string;
}

interface Bought {
  buyer: string;
  sensor: string;
  subscriptions: SubscriptionRecord[];
}

/** The buyer's subscriptions grouped by sensor, in the order of each sensor's first purchase. */
function bySensor(buyer: string, subs: readonly SubscriptionRecord[]): Bought[] {
  const out = new Map<string, Bought>();
  for (const s of subs) {
    const b = out.get(s.sensor) ?? { buyer, sensor: s.sensor, subscriptions: [] };
    b.subscriptions.push(s);
    out.set(s.sensor, b);
  }
  return [...out.values()];
}

/** What the chain counts now (metering/meter.ts paidLimit): started subscriptions, none while Blocked. */
function paidNow(b: Bought, sensor: SensorRecord | undefined, nowSec: number): number {
  if (!sensor || sensor.status === 'blocked') return 0;
  return b.subscriptions.filter((s) => s.startTimestamp <= nowSec).reduce((n, s) => n + s.dataEntries, 0);
}

export const meResolvers: IResolvers = {
  Query: {
    me: async (_: unknown, __: unknown, ctx: Ctx): Promise<MeRoot> => {
      const id = await ctx.principal();
      return { address: id.sub, account: id.account };
    },
  },
  Me: {
    principal: async (m: MeRoot, _: unknown, ctx: Ctx) => (await ctx.deps.store.principals([m.address]))[0] ?? null,
    pendingWithdrawal: async (m: MeRoot, _: unknown, ctx: Ctx) =>
      (await ctx.deps.store.principals([m.address]))[0]?.pendingWithdrawal ?? 0n,
    sensors: (m: MeRoot, args: { first?: number; after?: string | null }, ctx: Ctx) =>
      sensorConnection(sensorQuery(args, ctx, m.address), ctx),
    subscriptions: async (m: MeRoot, _: unknown, ctx: Ctx) =>
      bySensor(m.address, await ctx.deps.store.subscriptionsOf(m.address)),
  },
  SubscribedSensor: {
    sensor: async (b: Bought, _: unknown, ctx: Ctx) => (await ctx.deps.store.sensors([b.sensor]))[0] ?? null,
    entries: async (b: Bought, _: unknown, ctx: Ctx) => {
      const [[sensor], left] = await Promise.all([
        ctx.deps.store.sensors([b.sensor]),
        ctx.deps.meter.remaining(b.buyer, b.sensor),
      ]);
      const paid = paidNow(b, sensor, Math.floor(Date.now() / 1000));
      return { paid, left, delivered: Math.max(0, paid - left) };
    },
    keyIds: (b: Bought, _: unknown, ctx: Ctx) => ctx.deps.keyIds(b.sensor, b.buyer),
  },
};
