// The CatalogueStore contract (interfaces/catalogue.ts), one suite for every implementation:
// test/integration/catalogue-redis-store.test.ts runs it on the Redis index.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogueStore, SensorQuery, SensorRecord } from '../../interfaces/catalogue.ts';

export interface StoreContext {
  /** A fresh, empty store no other test uses. */
  fresh(): CatalogueStore;
}

const hex = (n: number, tag: number) => `0x${tag.toString(16).padStart(2, '0')}${n.toString(16).padStart(38, '0')}`;
export const sensorAddr = (n: number) => hex(n, 0x5e);
export const sellerAddr = (n: number) => hex(n, 0xa1);

export function sensor(i: number, over: Partial<SensorRecord> = {}): SensorRecord {
  return {
    sensor: sensorAddr(i),
    principal: sellerAddr(i % 3),
    owner: hex(i % 3, 0x0a),
    sensorType: i % 4,
    latitudeE6: 0,
    longitudeE6: 0,
    price: BigInt(1000 + i),
    status: i % 2 === 0 ? 'active' : 'inactive',
    subscriptionCount: 0,
    index: i,
    ...over,
  };
}

async function all(store: CatalogueStore, q: Omit<SensorQuery, 'first' | 'after'>, first = 3): Promise<number[]> {
  const out: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.sensorsPage({ ...q, first, after });
    out.push(...page.items.map((s) => s.index));
    if (!page.hasNextPage) return out;
    after = page.items[page.items.length - 1]!.index;
  }
}

// Places: Zürich, Geneva (224 km away), Fiji east and west of the antimeridian, Longyearbyen (78°N).
const PLACES = [
  [47_376_887, 8_541_694],
  [46_204_391, 6_143_158],
  [-17_713_371, 178_065_032],
  [-16_5_0_0_000, -179_900_000],
  [78_223_172, 15_626_723],
] as const;

export function catalogueStoreContract(suite: Test<StoreContext>): void {
  suite('sensors come back as written, in registration order, page by page, each once', async (ctx) => {
    const store = ctx.fresh();
    const written = [4, 0, 7, 2, 9, 1, 3, 8, 5, 6].map((i) => sensor(i));
    assert.is(await store.putSensors(10, written), 0);
    assert.equal(await store.sensors([sensorAddr(7), sensorAddr(99)]), [sensor(7), undefined]);
    assert.equal(await all(store, {}), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(await all(store, { newestFirst: true }, 4), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const first = await store.sensorsPage({ first: 3 });
    assert.equal([first.total, first.hasNextPage, first.items.length], [10, true, 3]);
    const none = await store.sensorsPage({ first: 0 });
    assert.equal([none.total, none.items, none.hasNextPage], [10, [], true]);
  });

  suite('filters: types, status, seller, price range, each alone and together', async (ctx) => {
    const store = ctx.fresh();
    await store.putSensors(
      10,
      Array.from({ length: 12 }, (_, i) => sensor(i)),
    );
    assert.equal(await all(store, { types: [1] }), [1, 5, 9]);
    assert.equal(await all(store, { types: [1, 2] }), [1, 2, 5, 6, 9, 10]);
    assert.equal(await all(store, { status: ['inactive'] }), [1, 3, 5, 7, 9, 11]);
    assert.equal(await all(store, { status: ['active', 'inactive'] }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(await all(store, { status: ['blocked'] }), []);
    assert.equal(await all(store, { seller: sellerAddr(2).toUpperCase().replace('0X', '0x') }), [2, 5, 8, 11]);
    assert.equal(await all(store, { minPrice: 1003n, maxPrice: 1006n }), [3, 4, 5, 6]);
    assert.equal(await all(store, { minPrice: 1010n }), [10, 11]);
    assert.equal(
      await all(store, { types: [1, 3], status: ['inactive'], maxPrice: 1008n, seller: sellerAddr(0) }),
      [3],
    );
    const page = await store.sensorsPage({ types: [1, 2], first: 2 });
    assert.equal([page.total, page.hasNextPage, page.items.map((s) => s.index)], [6, true, [1, 2]]);
  });

  suite('places: a box (also across the antimeridian), a point and radius, with other filters', async (ctx) => {
    const store = ctx.fresh();
    await store.putSensors(
      10,
      PLACES.map(([la, lo], i) => sensor(i, { latitudeE6: la, longitudeE6: lo })),
    );
    const swiss = { south: 45.8, west: 5.9, north: 47.9, east: 10.5 };
    assert.equal(await all(store, { within: swiss }), [0, 1]);
    assert.equal(await all(store, { within: { south: -20, west: 175, north: -15, east: -175 } }), [2, 3]);
    assert.equal(await all(store, { within: { south: 70, west: 0, north: 90, east: 30 } }), [4]);
    const zurich = { latitude: 47.3769, longitude: 8.5417 };
    assert.equal(await all(store, { near: { ...zurich, radiusMeters: 10_000 } }), [0]);
    assert.equal(await all(store, { near: { ...zurich, radiusMeters: 300_000 } }), [0, 1]);
    assert.equal(await all(store, { near: { ...zurich, radiusMeters: 300_000 }, status: ['inactive'] }), [1]);
    assert.equal(await all(store, { within: swiss, near: { ...zurich, radiusMeters: 10_000 } }), [0]);
  });

  suite('a write older than the stored state is skipped; a change moves the sensor between filters', async (ctx) => {
    const store = ctx.fresh();
    await store.putSensors(20, [sensor(0, { status: 'active', price: 5n })]);
    await store.putSensors(19, [sensor(0, { status: 'blocked', price: 9n })]);
    assert.equal((await store.sensors([sensorAddr(0)]))[0], sensor(0, { status: 'active', price: 5n }));
    await store.putSensors(20, [sensor(0, { status: 'active', price: 5n })]);
    await store.putSensors(21, [sensor(0, { status: 'blocked', price: 9n, principal: sellerAddr(7) })]);
    assert.equal(await all(store, { status: ['active'] }), []);
    assert.equal(await all(store, { status: ['blocked'], minPrice: 9n, seller: sellerAddr(7) }), [0]);
    assert.equal(await all(store, { seller: sellerAddr(0) }), []);
    assert.equal((await store.sensorsPage({ first: 5 })).total, 1);
  });

  suite('index -1 keeps the stored registration index; without one the write is skipped and counted', async (ctx) => {
    const store = ctx.fresh();
    await store.putSensors(5, [sensor(3)]);
    assert.is(await store.putSensors(6, [sensor(3, { index: -1, status: 'blocked' })]), 0);
    assert.equal((await store.sensors([sensorAddr(3)]))[0], sensor(3, { status: 'blocked' }));
    assert.is(await store.putSensors(6, [sensor(4, { index: -1 })]), 1);
    assert.equal(await store.sensors([sensorAddr(4)]), [undefined]);
  });

  suite('unversion lets an older block win once; remove forgets an entity everywhere', async (ctx) => {
    const store = ctx.fresh();
    await store.putSensors(30, [sensor(0), sensor(1)]);
    await store.unversion('sensor', [sensorAddr(0)]);
    await store.putSensors(25, [sensor(0, { status: 'blocked' })]);
    assert.equal(await all(store, { status: ['blocked'] }), [0]);
    await store.remove('sensor', [sensorAddr(0)]);
    assert.equal(await store.sensors([sensorAddr(0)]), [undefined]);
    assert.equal(await all(store, {}), [1]);
    assert.equal(await all(store, { status: ['blocked'] }), []);
  });

  suite('the checkpoint only moves forward, unless forced', async (ctx) => {
    const store = ctx.fresh();
    assert.is(await store.checkpoint(), undefined);
    await store.setCheckpoint(10);
    await store.setCheckpoint(8);
    assert.is(await store.checkpoint(), 10);
    await store.setCheckpoint(8, true);
    assert.is(await store.checkpoint(), 8);
  });

  suite('principals page in registration order; a buyer sees its subscriptions oldest first', async (ctx) => {
    const store = ctx.fresh();
    const principal = (i: number) => ({
      principal: sellerAddr(i),
      owner: hex(i, 0x0a),
      name: `p${i}`,
      url: '',
      email: `p${i}@example.org`,
      rsaPublicKeyHash: `0x${'ab'.repeat(32)}`,
      sensorCount: i,
      pendingWithdrawal: 10n ** 30n + BigInt(i),
      index: i,
    });
    await store.putPrincipals(3, [principal(2), principal(0), principal(1)]);
    const p1 = await store.principalsPage(2);
    assert.equal([p1.total, p1.hasNextPage, p1.items], [3, true, [principal(0), principal(1)]]);
    assert.equal((await store.principalsPage(2, 1)).items, [principal(2)]);
    assert.equal(await store.principals([sellerAddr(1), sellerAddr(9)]), [principal(1), undefined]);
    const sub = (i: number, createdAt: number) => ({
      subscription: hex(i, 0x5b),
      buyer: sellerAddr(1),
      sensor: sensorAddr(i),
      startTimestamp: 0,
      dataEntries: 2 ** 40,
      createdAt,
      paid: 10n ** 25n,
    });
    await store.putSubscriptions(4, [sub(1, 200), sub(2, 100)]);
    assert.equal(await store.subscriptionsOf(sellerAddr(1)), [sub(2, 100), sub(1, 200)]);
    assert.equal(await store.subscriptionsOf(sellerAddr(2)), []);
  });

  suite('activity only rises; the market reads back as written', async (ctx) => {
    const store = ctx.fresh();
    assert.equal(await store.activity([sensorAddr(0)]), [{ entriesStored: 0 }]);
    await store.recordActivity(sensorAddr(0), { entriesStored: 5, lastPublishAt: 2000 });
    await store.recordActivity(sensorAddr(0), { entriesStored: 3, lastPublishAt: 1000 });
    assert.equal(await store.activity([sensorAddr(0)]), [{ entriesStored: 5, lastPublishAt: 2000 }]);
    assert.is(await store.market(), undefined);
    const m = {
      address: sensorAddr(77),
      owner: sellerAddr(9),
      principalFee: 10n ** 16n,
      sensorFee: 10n ** 15n,
      commissionBps: 250,
      sensorCount: 3,
      principalCount: 2,
      sensorTypes: ['Temperature', 'Humidity'],
    };
    await store.putMarket(9, m);
    await store.putMarket(8, { ...m, commissionBps: 1 });
    assert.equal(await store.market(), m);
    // A retraction writes the market at the fork's block, below the one stored.
    await store.putMarket(7, { ...m, sensorCount: 2 }, true);
    assert.equal(await store.market(), { ...m, sensorCount: 2 });
    await store.putMarket(8, m);
    assert.equal(await store.market(), m);
  });
}
