// The CursorStore contract, one suite for every implementation: test/metering/cursors.test.ts
// runs it on the memory store and on the Redis store against the real Redis.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CursorStore } from '../../interfaces/cursor.ts';

export interface CursorContext {
  store: CursorStore;
  /** A sensor address no other test uses. */
  sensor(): string;
}

const BUYER = '0x00000000000000000000000000000000000000b1';

export function cursorStoreContract(suite: Test<CursorContext>): void {
  suite('no cursor until one is opened; open keeps the first start', async (ctx) => {
    const s = ctx.sensor();
    assert.is(await ctx.store.get(BUYER, s), undefined);
    assert.equal(await ctx.store.open(BUYER, s, { next: 5, delivered: 0 }), { next: 5, delivered: 0 });
    assert.equal(await ctx.store.open(BUYER, s, { next: 9, delivered: 0 }), { next: 5, delivered: 0 });
    assert.equal(await ctx.store.get(BUYER, `0x${s.slice(2).toUpperCase()}`), { next: 5, delivered: 0 });
  });

  suite('advance is a compare-and-set on next: the same entries are counted once', async (ctx) => {
    const s = ctx.sensor();
    await ctx.store.open(BUYER, s, { next: 0, delivered: 0 });
    assert.equal(await ctx.store.advance(BUYER, s, 0, 3, 3), { moved: true, cursor: { next: 3, delivered: 3 } });
    // A second delivery of entries 0..2 (another instance) finds the cursor moved.
    assert.equal(await ctx.store.advance(BUYER, s, 0, 3, 3), { moved: false, cursor: { next: 3, delivered: 3 } });
    assert.equal(await ctx.store.advance(BUYER, s, 3, 4, 1), { moved: true, cursor: { next: 4, delivered: 4 } });
  });

  suite('concurrent advances from one place: exactly one moves', async (ctx) => {
    const s = ctx.sensor();
    await ctx.store.open(BUYER, s, { next: 10, delivered: 0 });
    const all = await Promise.all([1, 2, 3, 4, 5].map((k) => ctx.store.advance(BUYER, s, 10, 10 + k, k)));
    assert.is(all.filter((a) => a.moved).length, 1);
    const c = (await ctx.store.get(BUYER, s))!;
    assert.is(c.delivered, c.next - 10);
  });

  suite('skipTo moves forward only and counts nothing', async (ctx) => {
    const s = ctx.sensor();
    await ctx.store.open(BUYER, s, { next: 2, delivered: 0 });
    await ctx.store.advance(BUYER, s, 2, 4, 2);
    assert.equal(await ctx.store.skipTo(BUYER, s, 100), { next: 100, delivered: 2 });
    assert.equal(await ctx.store.skipTo(BUYER, s, 50), { next: 100, delivered: 2 });
  });

  suite('take counts against the limit, shared with the cursor', async (ctx) => {
    const s = ctx.sensor();
    assert.is(await ctx.store.take(BUYER, s, 4, 10), 4); // a replay before any MQTT delivery
    assert.equal(await ctx.store.open(BUYER, s, { next: 0, delivered: 0 }), { next: 0, delivered: 4 });
    await ctx.store.advance(BUYER, s, 0, 5, 5);
    assert.is(await ctx.store.take(BUYER, s, 4, 10), 1);
    assert.is(await ctx.store.take(BUYER, s, 4, 10), 0);
    assert.is((await ctx.store.get(BUYER, s))!.delivered, 10);
  });
}
