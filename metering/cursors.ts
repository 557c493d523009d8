// The cursor store on Redis: one hash per (principal, sensor) with `next` and `delivered`, moved
// only by Lua scripts (Redis runs each atomically), so the compare-and-set of an advance holds
// across every gateway instance. It is durable as the Redis the gateway already needs is
// (docs/broker.md says what Redis keeps). MemoryCursorStore is the same contract in a process.
import type { Redis } from 'ioredis';
import type { Advance, Cursor, CursorStore } from '../interfaces/cursor.ts';
import { normAddress } from '../protocol/topics.ts';
import { luaScript } from '../lib/redis-script.ts';
import { TurnBatch } from '../lib/turn-batch.ts';

interface AdvanceCall {
  key: string;
  from: number;
  to: number;
  entries: number;
}

// KEYS[1] cursor; ARGV[1] next, ARGV[2] delivered. Returns {next, delivered} in place.
const OPEN = `
if redis.call('HSETNX', KEYS[1], 'next', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[1], 'delivered', ARGV[2])
end
local c = redis.call('HMGET', KEYS[1], 'next', 'delivered')
return {tonumber(c[1]), tonumber(c[2] or '0')}`;

// KEYS the cursors; ARGV from, to, entries for each, in the same order. Returns {moved, next,
// delivered} for each, flat. In order, so two advances of one cursor in a batch stay a
// compare-and-set each.
const ADVANCE = `
local out = {}
for i, key in ipairs(KEYS) do
  local a = (i - 1) * 3
  local c = redis.call('HMGET', key, 'next', 'delivered')
  local nxt = tonumber(c[1] or '-1')
  local delivered = tonumber(c[2] or '0')
  local moved = 0
  if nxt == tonumber(ARGV[a + 1]) then
    moved = 1
    nxt = tonumber(ARGV[a + 2])
    delivered = delivered + tonumber(ARGV[a + 3])
    redis.call('HSET', key, 'next', ARGV[a + 2], 'delivered', delivered)
  end
  out[#out + 1] = moved
  out[#out + 1] = nxt
  out[#out + 1] = delivered
end
return out`;

// KEYS[1] cursor; ARGV[1] offset. Returns {next, delivered}.
const SKIP = `
local c = redis.call('HMGET', KEYS[1], 'next', 'delivered')
local nxt = math.max(tonumber(c[1] or '0'), tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'next', nxt)
return {nxt, tonumber(c[2] or '0')}`;

// KEYS[1] cursor; ARGV[1] wanted, ARGV[2] limit. Returns the entries counted.
const TAKE = `
local delivered = tonumber(redis.call('HGET', KEYS[1], 'delivered') or '0')
local n = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - delivered)
if n <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'delivered', n)
return n`;

export class RedisCursorStore implements CursorStore {
  // By SHA after the first call (lib/redis-script.ts): advance runs once per acknowledged window.
  private readonly scripts;
  // Every buyer's advances in one script call, one call under way at a time: the advances made
  // while it runs go together in the next (lib/turn-batch.ts, serial).
  private readonly advances = new TurnBatch<AdvanceCall, Advance>((calls) => this.advanceMany(calls), { serial: true });

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = {
      open: luaScript(redis, 'itradeCursorOpen', OPEN, 1),
      advance: luaScript(redis, 'itradeCursorAdvanceMany', ADVANCE),
      skip: luaScript(redis, 'itradeCursorSkip', SKIP, 1),
      take: luaScript(redis, 'itradeCursorTake', TAKE, 1),
    };
  }

  key(principal: string, sensor: string): string {
    return `${this.prefix}cursor:${normAddress(principal)}:${normAddress(sensor)}`;
  }

  async get(principal: string, sensor: string): Promise<Cursor | undefined> {
    const [next, delivered] = await this.redis.hmget(this.key(principal, sensor), 'next', 'delivered');
    if (next === null || next === undefined) return undefined;
    return { next: Number(next), delivered: Number(delivered ?? 0) };
  }

  async open(principal: string, sensor: string, start: Cursor): Promise<Cursor> {
    const r = (await this.scripts.open(this.key(principal, sensor), start.next, start.delivered)) as number[];
    return { next: Number(r[0]), delivered: Number(r[1]) };
  }

  advance(principal: string, sensor: string, from: number, to: number, entries: number): Promise<Advance> {
    return this.advances.add({ key: this.key(principal, sensor), from, to, entries });
  }

  private async advanceMany(calls: AdvanceCall[]): Promise<Advance[]> {
    const args = calls.flatMap((c) => [c.from, c.to, c.entries]);
    const r = (await this.scripts.advance(calls.length, ...calls.map((c) => c.key), ...args)) as number[];
    return calls.map((_c, i) => ({
      moved: r[3 * i] === 1,
      cursor: { next: Number(r[3 * i + 1]), delivered: Number(r[3 * i + 2]) },
    }));
  }

  async skipTo(principal: string, sensor: string, offset: number): Promise<Cursor> {
    const r = (await this.scripts.skip(this.key(principal, sensor), offset)) as number[];
    return { next: Number(r[0]), delivered: Number(r[1]) };
  }

  async take(principal: string, sensor: string, n: number, limit: number): Promise<number> {
    if (n <= 0) return 0;
    return Number(await this.scripts.take(this.key(principal, sensor), n, limit));
  }
}

/** The same contract in one process: unit tests, and a gateway that runs alone without sharing. */
export class MemoryCursorStore implements CursorStore {
  private readonly cursors = new Map<string, Cursor>();

  private key(principal: string, sensor: string): string {
    return `${normAddress(principal)}:${normAddress(sensor)}`;
  }

  async get(principal: string, sensor: string): Promise<Cursor | undefined> {
    const c = this.cursors.get(this.key(principal, sensor));
    return c && { ...c };
  }

  async open(principal: string, sensor: string, start: Cursor): Promise<Cursor> {
    const k = this.key(principal, sensor);
    const c = this.cursors.get(k);
    if (c && c.next >= 0) return { ...c };
    const placed = { next: start.next, delivered: c?.delivered ?? start.delivered };
    this.cursors.set(k, placed);
    return { ...placed };
  }

  async advance(principal: string, sensor: string, from: number, to: number, entries: number): Promise<Advance> {
    const c = this.cursors.get(this.key(principal, sensor)) ?? { next: -1, delivered: 0 };
    if (c.next !== from) return { moved: false, cursor: { ...c } };
    c.next = to;
    c.delivered += entries;
    this.cursors.set(this.key(principal, sensor), c);
    return { moved: true, cursor: { ...c } };
  }

  async skipTo(principal: string, sensor: string, offset: number): Promise<Cursor> {
    const k = this.key(principal, sensor);
    const c = this.cursors.get(k) ?? { next: 0, delivered: 0 };
    c.next = Math.max(c.next, offset);
    this.cursors.set(k, c);
    return { ...c };
  }

  async take(principal: string, sensor: string, n: number, limit: number): Promise<number> {
    const k = this.key(principal, sensor);
    const c = this.cursors.get(k) ?? { next: -1, delivered: 0 };
    const got = Math.max(0, Math.min(n, limit - c.delivered));
    c.delivered += got;
    this.cursors.set(k, c);
    return got;
  }
}
