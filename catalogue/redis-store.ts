// The catalogue index in Redis (interfaces/catalogue.ts; the layout is in docs/graphql.md, "How
// the index works"). Writes go through the Lua scripts of redis-scripts.ts (atomic, versioned by
// block); a filtered page is redis-query.ts. Every key starts with `<redis.keyPrefix>cat:`.
import type { ChainableCommander, Redis } from 'ioredis';
import type {
  Activity,
  CatalogueStore,
  MarketRecord,
  Page,
  PrincipalRecord,
  SensorQuery,
  SensorRecord,
  SubscriptionRecord,
} from '../interfaces/catalogue.ts';
import type { SensorStatus } from '../interfaces/layers.ts';
import { normAddress } from '../protocol/topics.ts';
import { luaScript } from '../lib/redis-script.ts';
import { queryPage } from './redis-query.ts';
import * as L from './redis-scripts.ts';

type Hash = Record<string, string>;
type Arg = string | number;

// The names the scripts run under on the client (lib/redis-script.ts: unique per client).
const PUT_SENSOR = 'itradeCataloguePutSensor';
const PUT_PRINCIPAL = 'itradeCataloguePutPrincipal';
const PUT_SUBSCRIPTION = 'itradeCataloguePutSubscription';
const REMOVE = 'itradeCatalogueRemove';

export class RedisCatalogue implements CatalogueStore {
  /** The prefix of every key of the index. */
  readonly P: string;
  // By SHA after a connection's first call (lib/redis-script.ts), not the text with every EVAL:
  // a round of the indexer writes each sensor, principal and subscription it read by a script.
  private readonly scripts;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
  ) {
    this.P = `${keyPrefix}cat:`;
    this.scripts = {
      putMarket: luaScript(redis, 'itradeCataloguePutMarket', L.PUT_MARKET, 1),
      setCheckpoint: luaScript(redis, 'itradeCatalogueSetCheckpoint', L.SET_CHECKPOINT, 1),
      raiseActivity: luaScript(redis, 'itradeCatalogueRaiseActivity', L.RAISE_ACTIVITY, 1),
    };
    // Queued in pipelines (queue() below): a pipeline has the scripts of its client.
    luaScript(redis, PUT_SENSOR, L.PUT_SENSOR, 0);
    luaScript(redis, PUT_PRINCIPAL, L.PUT_PRINCIPAL, 0);
    luaScript(redis, PUT_SUBSCRIPTION, L.PUT_SUBSCRIPTION, 0);
    luaScript(redis, REMOVE, L.REMOVE, 0);
  }

  async putSensors(block: number, sensors: readonly SensorRecord[]): Promise<number> {
    if (sensors.length === 0) return 0;
    const p = this.redis.pipeline();
    for (const s of sensors) {
      const [lat, lon] = [s.latitudeE6 / 1e6, s.longitudeE6 / 1e6];
      queue(
        p,
        PUT_SENSOR,
        this.P,
        block,
        normAddress(s.sensor),
        normAddress(s.principal),
        normAddress(s.owner),
        s.sensorType,
        s.latitudeE6,
        s.longitudeE6,
        s.price.toString(),
        Number(s.price),
        s.status,
        s.subscriptionCount,
        s.index,
        lat,
        lon,
      );
    }
    return unplaced(await exec(p));
  }

  async putPrincipals(block: number, principals: readonly PrincipalRecord[]): Promise<number> {
    if (principals.length === 0) return 0;
    const p = this.redis.pipeline();
    for (const r of principals)
      queue(
        p,
        PUT_PRINCIPAL,
        this.P,
        block,
        normAddress(r.principal),
        normAddress(r.owner),
        r.name,
        r.url,
        r.email,
        r.rsaPublicKeyHash,
        r.sensorCount,
        r.pendingWithdrawal.toString(),
        r.index,
      );
    return unplaced(await exec(p));
  }

  async putSubscriptions(block: number, subscriptions: readonly SubscriptionRecord[]): Promise<void> {
    if (subscriptions.length === 0) return;
    const p = this.redis.pipeline();
    for (const s of subscriptions)
      queue(
        p,
        PUT_SUBSCRIPTION,
        this.P,
        block,
        normAddress(s.subscription),
        normAddress(s.buyer),
        normAddress(s.sensor),
        s.startTimestamp,
        s.dataEntries,
        s.createdAt,
        s.paid.toString(),
      );
    await exec(p);
  }

  async putMarket(block: number, m: MarketRecord, force = false): Promise<void> {
    const fields = {
      a: normAddress(m.address),
      o: normAddress(m.owner),
      pf: m.principalFee.toString(),
      sf: m.sensorFee.toString(),
      cb: m.commissionBps,
      sc: m.sensorCount,
      pc: m.principalCount,
      ty: JSON.stringify(m.sensorTypes),
    };
    await this.scripts.putMarket(`${this.P}market`, block, force ? 1 : 0, ...Object.entries(fields).flat());
  }

  async setCheckpoint(block: number, force = false): Promise<void> {
    await this.scripts.setCheckpoint(`${this.P}checkpoint`, block, force ? 1 : 0);
  }

  async checkpoint(): Promise<number | undefined> {
    const v = await this.redis.get(`${this.P}checkpoint`);
    return v === null ? undefined : Number(v);
  }

  async unversion(kind: 'sensor' | 'principal' | 'subscription', addresses: readonly string[]): Promise<void> {
    if (addresses.length === 0) return;
    const k = { sensor: 's', principal: 'p', subscription: 'sub' }[kind];
    const p = this.redis.pipeline();
    for (const a of addresses) p.hdel(`${this.P}${k}:${normAddress(a)}`, 'v');
    await exec(p);
  }

  async remove(kind: 'sensor' | 'principal' | 'subscription', addresses: readonly string[]): Promise<void> {
    if (addresses.length === 0) return;
    const k = { sensor: 's', principal: 'p', subscription: 'sub' }[kind];
    const p = this.redis.pipeline();
    for (const a of addresses) queue(p, REMOVE, this.P, k, normAddress(a));
    await exec(p);
  }

  async recordActivity(sensor: string, a: Activity): Promise<void> {
    const key = `${this.P}act:${normAddress(sensor)}`;
    await this.scripts.raiseActivity(key, a.entriesStored, a.lastPublishAt ?? 0);
  }

  async market(): Promise<MarketRecord | undefined> {
    const h = await this.redis.hgetall(`${this.P}market`);
    if (!h.a) return undefined;
    return {
      address: h.a,
      owner: h.o!,
      principalFee: BigInt(h.pf!),
      sensorFee: BigInt(h.sf!),
      commissionBps: Number(h.cb),
      sensorCount: Number(h.sc),
      principalCount: Number(h.pc),
      sensorTypes: JSON.parse(h.ty!) as string[],
    };
  }

  async sensors(addresses: readonly string[]): Promise<(SensorRecord | undefined)[]> {
    const hashes = await this.hashes('s', addresses);
    return hashes.map((h, i) => (h.p ? sensorOf(normAddress(addresses[i]!), h) : undefined));
  }

  async sensorsPage(q: SensorQuery): Promise<Page<SensorRecord>> {
    const q2 = q.seller ? { ...q, seller: normAddress(q.seller) } : q;
    const raw = await queryPage(this.redis, this.P, q2);
    const members = raw.members.slice(0, q.first);
    const items = (await this.sensors(members)).filter((s): s is SensorRecord => s !== undefined);
    return { items, total: raw.total, hasNextPage: raw.members.length > q.first };
  }

  async principals(addresses: readonly string[]): Promise<(PrincipalRecord | undefined)[]> {
    const hashes = await this.hashes('p', addresses);
    return hashes.map((h, i) => (h.o ? principalOf(normAddress(addresses[i]!), h) : undefined));
  }

  async principalsPage(first: number, after?: number): Promise<Page<PrincipalRecord>> {
    const key = `${this.P}porder`;
    const [total, members] = await Promise.all([
      this.redis.zcard(key),
      this.redis.zrange(key, after === undefined ? '-inf' : `(${after}`, '+inf', 'BYSCORE', 'LIMIT', 0, first + 1),
    ]);
    const items = (await this.principals(members.slice(0, first))).filter((p): p is PrincipalRecord => p !== undefined);
    return { items, total, hasNextPage: members.length > first };
  }

  async subscriptionsOf(buyer: string): Promise<SubscriptionRecord[]> {
    const members = await this.redis.zrange(`${this.P}buyer:${normAddress(buyer)}`, 0, -1);
    const hashes = await this.hashes('sub', members);
    return hashes.flatMap((h, i) => (h.s ? [subscriptionOf(members[i]!, h)] : []));
  }

  async activity(sensors: readonly string[]): Promise<Activity[]> {
    const hashes = await this.hashes('act', sensors);
    return hashes.map((h) => ({
      entriesStored: Number(h.n ?? 0),
      ...(h.at ? { lastPublishAt: Number(h.at) } : {}),
    }));
  }

  private async hashes(kind: string, addresses: readonly string[]): Promise<Hash[]> {
    if (addresses.length === 0) return [];
    const p = this.redis.pipeline();
    for (const a of addresses) p.hgetall(`${this.P}${kind}:${normAddress(a)}`);
    return (await exec(p)) as Hash[];
  }
}

/**
 * Queues the script defined on the client as `name` (ioredis gives a pipeline its client's
 * scripts): EVALSHA, or EVAL when it is the connection's first, and sent again on NOSCRIPT.
 */
function queue(p: ChainableCommander, name: string, ...keysThenArgs: Arg[]): void {
  (p as unknown as Record<string, (...a: Arg[]) => unknown>)[name]!(...keysThenArgs);
}

async function exec(p: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const replies = (await p.exec()) ?? [];
  return replies.map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}

/** How many writes were skipped for want of a registration index (-1 from the script). */
function unplaced(replies: unknown[]): number {
  return replies.filter((r) => Number(r) < 0).length;
}

function sensorOf(sensor: string, h: Hash): SensorRecord {
  return {
    sensor,
    principal: h.p!,
    owner: h.o!,
    sensorType: Number(h.t),
    latitudeE6: Number(h.la),
    longitudeE6: Number(h.lo),
    price: BigInt(h.pr!),
    status: h.st as SensorStatus,
    subscriptionCount: Number(h.sc),
    index: Number(h.i),
  };
}

function principalOf(principal: string, h: Hash): PrincipalRecord {
  return {
    principal,
    owner: h.o!,
    name: h.n!,
    url: h.u!,
    email: h.e!,
    rsaPublicKeyHash: h.k!,
    sensorCount: Number(h.sc),
    pendingWithdrawal: BigInt(h.pw!),
    index: Number(h.i),
  };
}

function subscriptionOf(subscription: string, h: Hash): SubscriptionRecord {
  return {
    subscription,
    buyer: h.b!,
    sensor: h.s!,
    startTimestamp: Number(h.st),
    dataEntries: Number(h.de),
    createdAt: Number(h.cr),
    paid: BigInt(h.pd!),
  };
}
