// The catalogue's resolvers: the marketplace, sensors (filters, pages), principals, and the types
// they return. Fields that read another record (a sensor's seller and activity, a subscription's
// sensor) go through mercurius loaders, so a page of 100 sensors reads its sellers in one round trip.
import type { IResolvers, MercuriusLoaders } from 'mercurius';
import type { PrincipalRecord, SensorQuery, SensorRecord, SubscriptionRecord } from '../../interfaces/catalogue.ts';
import type { SensorStatus } from '../../interfaces/layers.ts';
import { itradeError } from '../../protocol/errors.ts';
import type { Ctx } from '../context.ts';
import { checkNear, checkWithin, decodeCursor, encodeCursor, pageSize } from '../limits.ts';

interface FilterArgs {
  types?: number[] | null;
  status?: string[] | null;
  minPrice?: bigint | null;
  maxPrice?: bigint | null;
  seller?: string | null;
  within?: SensorQuery['within'] | null;
  near?: SensorQuery['near'] | null;
}
interface PageArgs {
  first?: number;
  after?: string | null;
}
type SensorsArgs = PageArgs & { filter?: FilterArgs | null; orderBy?: 'REGISTERED' | 'NEWEST' };

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function sensorQuery(args: SensorsArgs, ctx: Ctx, seller?: string): SensorQuery {
  const f = args.filter ?? {};
  const q: SensorQuery = {
    first: pageSize(args.first, ctx.deps.limits),
    after: decodeCursor(args.after, 's'),
    newestFirst: args.orderBy === 'NEWEST',
    types: opt(f.types),
    status: f.status?.map((s) => s.toLowerCase() as SensorStatus),
    minPrice: opt(f.minPrice),
    maxPrice: opt(f.maxPrice),
    seller: seller ?? opt(f.seller),
    within: opt(f.within),
    near: opt(f.near),
  };
  if (q.types?.some((t) => !Number.isInteger(t) || t < 0 || t > 65535))
    throw itradeError('GRAPHQL_BAD_ARGUMENT', 'filter.types: sensor type ids are 0..65535');
  if (q.minPrice !== undefined && q.maxPrice !== undefined && q.minPrice > q.maxPrice)
    throw itradeError('GRAPHQL_BAD_ARGUMENT', 'filter: minPrice must not be above maxPrice');
  if (q.within) checkWithin(q.within);
  if (q.near) checkNear(q.near);
  return q;
}

export async function sensorConnection(q: SensorQuery, ctx: Ctx) {
  const page = await ctx.deps.store.sensorsPage(q);
  const edges = page.items.map((node) => ({ cursor: encodeCursor('s', node.index), node }));
  return {
    edges,
    nodes: page.items,
    totalCount: page.total,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges[edges.length - 1]?.cursor ?? null },
  };
}

async function principalConnection(args: PageArgs, ctx: Ctx) {
  const page = await ctx.deps.store.principalsPage(
    pageSize(args.first, ctx.deps.limits),
    decodeCursor(args.after, 'p'),
  );
  const edges = page.items.map((node) => ({ cursor: encodeCursor('p', node.index), node }));
  return {
    edges,
    nodes: page.items,
    totalCount: page.total,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges[edges.length - 1]?.cursor ?? null },
  };
}

async function marketplace(_: unknown, __: unknown, ctx: Ctx) {
  const [m, indexedBlock] = await Promise.all([ctx.market(), ctx.deps.store.checkpoint()]);
  return {
    ...m,
    chainId: ctx.deps.chainId,
    sensorTypes: m.sensorTypes.map((name, id) => ({ id, name })),
    indexedBlock: indexedBlock ?? 0,
  };
}

export const catalogueResolvers: IResolvers = {
  Query: {
    marketplace,
    sensors: (_: unknown, args: SensorsArgs, ctx: Ctx) => sensorConnection(sensorQuery(args, ctx), ctx),
    sensor: async (_: unknown, { address }: { address: string }, ctx: Ctx) =>
      (await ctx.deps.store.sensors([address]))[0] ?? null,
    principals: (_: unknown, args: PageArgs, ctx: Ctx) => principalConnection(args, ctx),
    principal: async (_: unknown, { address }: { address: string }, ctx: Ctx) =>
      (await ctx.deps.store.principals([address]))[0] ?? null,
  },
  Sensor: {
    address: (s: SensorRecord) => s.sensor,
    type: async (s: SensorRecord, _: unknown, ctx: Ctx) => ({
      id: s.sensorType,
      name: (await ctx.market()).sensorTypes[s.sensorType] ?? `type ${s.sensorType}`,
    }),
    location: (s: SensorRecord) => ({ latitude: s.latitudeE6 / 1e6, longitude: s.longitudeE6 / 1e6 }),
    status: (s: SensorRecord) => s.status.toUpperCase(),
    keyAgentOnline: (s: SensorRecord, _: unknown, ctx: Ctx) => ctx.deps.agents?.online(s.principal) ?? false,
  },
  Principal: {
    address: (p: PrincipalRecord) => p.principal,
    keyAgentOnline: (p: PrincipalRecord, _: unknown, ctx: Ctx) => ctx.deps.agents?.online(p.principal) ?? false,
    sensors: (p: PrincipalRecord, args: PageArgs, ctx: Ctx) =>
      sensorConnection(sensorQuery(args, ctx, p.principal), ctx),
  },
  Subscription: {
    address: (s: SubscriptionRecord) => s.subscription,
    startTimestamp: (s: SubscriptionRecord) => s.startTimestamp * 1000,
    createdAt: (s: SubscriptionRecord) => s.createdAt * 1000,
  },
};

type Q<T> = { obj: T }[];

export const catalogueLoaders: MercuriusLoaders = {
  Sensor: {
    async seller(queries: Q<SensorRecord>, ctx: Ctx) {
      const found = await ctx.deps.store.principals(queries.map((q) => q.obj.principal));
      return found.map((p, i) => p ?? missing('principal', queries[i]!.obj.principal));
    },
    async activity(queries: Q<SensorRecord>, ctx: Ctx) {
      const a = await ctx.deps.store.activity(queries.map((q) => q.obj.sensor));
      return a.map((x) => ({ entriesStored: x.entriesStored, lastPublishAt: x.lastPublishAt ?? null }));
    },
  },
  Subscription: {
    async sensor(queries: Q<SubscriptionRecord>, ctx: Ctx) {
      const found = await ctx.deps.store.sensors(queries.map((q) => q.obj.sensor));
      return found.map((s, i) => s ?? missing('sensor', queries[i]!.obj.sensor));
    },
  },
};

// The index writes a sensor's principal in the same window as the sensor, so this means a bug
// or a half-built index: a clear error rather than null in a non-null field.
function missing(kind: string, address: string): never {
  throw itradeError('GATEWAY_NOT_READY', `the catalogue has no ${kind} ${address} yet: retry shortly`);
}
