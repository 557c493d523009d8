// A filtered page of the catalogue in one Redis transaction (docs/graphql.md, "How the index
// works"): each filter becomes a sorted set of the sensors it lets through (a per-value set
// scored by registration index, or a temporary one from ZRANGESTORE / GEOSEARCHSTORE), one
// ZINTERSTORE with `order` leaves the matches scored by registration index (AGGREGATE MAX with
// weight 0 on the sets scored otherwise), then ZCARD and one ZRANGE BYSCORE after the cursor.
// The temporary keys live only inside the transaction (deleted at its end, with a TTL as backstop).
import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { SensorQuery } from '../interfaces/catalogue.ts';

interface Source {
  key: string;
  /** 1: scored by registration index; 0: scored by something else (price, position). */
  weight: 0 | 1;
}

const TEMP_TTL_SEC = 10;

class Plan {
  readonly temps: string[] = [];
  readonly sources: Source[] = [];
  private readonly tag = randomBytes(6).toString('hex');

  constructor(
    readonly tx: ChainableCommander,
    readonly P: string,
  ) {}

  temp(): string {
    const k = `${this.P}tmp:${this.tag}:${this.temps.length}`;
    this.temps.push(k);
    return k;
  }

  /** One of several index-scored sets (types, statuses): their union. */
  anyOf(keys: string[]): void {
    if (keys.length === 1) return void this.sources.push({ key: keys[0]!, weight: 1 });
    const t = this.temp();
    this.tx.zunionstore(t, keys.length, ...keys, 'AGGREGATE', 'MAX');
    this.sources.push({ key: t, weight: 1 });
  }

  range(key: string, min: string | number, max: string | number): string {
    const t = this.temp();
    this.tx.zrangestore(t, key, min, max, 'BYSCORE');
    return t;
  }
}

export function addFilters(plan: Plan, q: SensorQuery): void {
  const { tx, P } = plan;
  if (q.types) plan.anyOf(q.types.map((t) => `${P}type:${t}`));
  if (q.status) plan.anyOf(q.status.map((s) => `${P}status:${s}`));
  if (q.seller) plan.sources.push({ key: `${P}seller:${q.seller}`, weight: 1 });
  if (q.minPrice !== undefined || q.maxPrice !== undefined) {
    const min = q.minPrice === undefined ? '-inf' : Number(q.minPrice);
    const max = q.maxPrice === undefined ? '+inf' : Number(q.maxPrice);
    plan.sources.push({ key: plan.range(`${P}price`, min, max), weight: 0 });
  }
  if (q.within) {
    const w = q.within;
    plan.sources.push({ key: plan.range(`${P}lat`, w.south, w.north), weight: 0 });
    if (w.west <= w.east) plan.sources.push({ key: plan.range(`${P}lon`, w.west, w.east), weight: 0 });
    else {
      const [a, b, t] = [plan.range(`${P}lon`, w.west, 180), plan.range(`${P}lon`, -180, w.east), plan.temp()];
      tx.zunionstore(t, 2, a, b);
      plan.sources.push({ key: t, weight: 0 });
    }
  }
  if (q.near) {
    const t = plan.temp();
    const n = q.near;
    tx.geosearchstore(t, `${P}geo`, 'FROMLONLAT', n.longitude, n.latitude, 'BYRADIUS', n.radiusMeters, 'm');
    plan.sources.push({ key: t, weight: 0 });
  }
}

export interface RawPage {
  members: string[];
  total: number;
}

/** The page's sensor addresses (first + 1 of them: one more says a next page exists) and the match count. */
export async function queryPage(redis: Redis, P: string, q: SensorQuery, base = `${P}order`): Promise<RawPage> {
  const tx = redis.multi();
  const plan = new Plan(tx, P);
  addFilters(plan, q);
  let result = base;
  if (plan.sources.length > 0) {
    result = plan.temp();
    const keys = [base, ...plan.sources.map((s) => s.key)];
    tx.zinterstore(
      result,
      keys.length,
      ...keys,
      'WEIGHTS',
      1,
      ...plan.sources.map((s) => s.weight),
      'AGGREGATE',
      'MAX',
    );
  }
  tx.zcard(result);
  const take = q.first + 1;
  if (q.newestFirst) {
    const from = q.after === undefined ? '+inf' : `(${q.after}`;
    tx.zrange(result, from, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, take);
  } else {
    const from = q.after === undefined ? '-inf' : `(${q.after}`;
    tx.zrange(result, from, '+inf', 'BYSCORE', 'LIMIT', 0, take);
  }
  if (plan.temps.length > 0) {
    // A backstop: were the DEL lost with the connection, the keys still go.
    for (const t of plan.temps) tx.expire(t, TEMP_TTL_SEC);
    tx.del(...plan.temps);
  }
  const replies = (await tx.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const at = replies.length - (plan.temps.length > 0 ? plan.temps.length + 1 : 0);
  return { total: Number(replies[at - 2]![1]), members: replies[at - 1]![1] as string[] };
}
