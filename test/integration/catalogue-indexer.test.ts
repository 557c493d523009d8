// The catalogue indexer (catalogue/indexer.ts) on the real chain and the real Redis index, in the
// cases the GraphQL tests do not reach: a window of real events that deactivates, blocks and
// subscribes; seeding an index that already has entries (nothing doubled, nothing lost, stale
// state replaced); and a retraction, the undoing of a window a reorg took back. A shared anvil
// cannot be reorged under the other test files, so the retracted window is one the index applied
// but the chain never had: a sensor and a subscription it created, a block of a sensor it recorded.
// And windows whose events lack registrations the chain has: each is still placed at its index.
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMarketplaceLogs } from '../../contracts/client.ts';
import { ChainViews } from '../../catalogue/chain-views.ts';
import { CatalogueIndexer } from '../../catalogue/indexer.ts';
import { RedisCatalogue } from '../../catalogue/redis-store.ts';
import type { ChainLogEvent, SensorQuery } from '../../interfaces/catalogue.ts';
import { createLogger } from '../../lib/log.ts';
import { sensorAddr } from '../catalogue/store.contract.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const test = suite('catalogue indexer on the chain');
let market: Market;
let redis: Redis;
let seller: Account;
let buyer: Account;
const log = createLogger({ level: 'silent' });

test.before(async () => {
  market = await Market.deploy(services().rpcUrl);
  redis = new Redis(services().redisUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
});

test.after(() => {
  market?.close();
  redis?.disconnect();
});

function fresh(): { store: RedisCatalogue; indexer: CatalogueIndexer } {
  const store = new RedisCatalogue(redis, `${unique('idx')}:`);
  return { store, indexer: new CatalogueIndexer(store, new ChainViews(market.provider, market.address), log) };
}

/** Every sensor the query lets through, as addresses in registration order (pages of 2). */
async function addresses(store: RedisCatalogue, q: Omit<SensorQuery, 'first' | 'after'> = {}): Promise<string[]> {
  const out: string[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.sensorsPage({ ...q, first: 2, after });
    out.push(...page.items.map((s) => s.sensor));
    if (!page.hasNextPage) return out;
    after = page.items[page.items.length - 1]!.index;
  }
}

/** Applies the chain's events after `from` up to its head, as the poller does; returns the head. */
async function follow(indexer: CatalogueIndexer, from: number): Promise<number> {
  const head = await market.provider.getBlockNumber();
  const logs = await market.provider.getLogs({ address: market.address, fromBlock: from + 1, toBlock: head });
  await indexer.applyWindow(head, parseMarketplaceLogs(logs, market.address));
  return head;
}

test('a window of real events: a deactivation, a block and a subscription move the index', async () => {
  const { store, indexer } = fresh();
  const [a, b, c] = [await market.sensor(seller), await market.sensor(seller), await market.sensor(seller)];
  const seeded = await market.provider.getBlockNumber();
  await indexer.seed(seeded);
  // Other test files' sensors are of other marketplaces: only this one's are here.
  const mine = await addresses(store, { seller: seller.principal });
  assert.equal(mine.slice(-3), [a.sensor, b.sensor, c.sensor]);
  await market.deactivate(seller, a.sensor);
  await market.block(b.sensor);
  const sub = await market.subscribe(buyer, c.sensor, 5);
  const head = await follow(indexer, seeded);
  assert.equal(
    (await store.sensors([a.sensor, b.sensor, c.sensor])).map((s) => [s?.status, s?.subscriptionCount]),
    [
      ['inactive', 0],
      ['blocked', 0],
      ['active', 1],
    ],
  );
  assert.not.ok((await addresses(store, { status: ['active'] })).includes(a.sensor));
  assert.ok((await addresses(store, { status: ['blocked'] })).includes(b.sensor));
  assert.equal(
    (await store.subscriptionsOf(buyer.principal)).map((s) => [s.subscription, s.sensor, s.dataEntries]),
    [[sub, c.sensor, 5]],
  );
  assert.is(await store.checkpoint(), head);
});

test('seeding an index with entries: each sensor, principal, subscription once; stale state replaced', async () => {
  const { store, indexer } = fresh();
  const first = await market.sensor(seller);
  await indexer.seed(await market.provider.getBlockNumber());
  const before = await addresses(store);
  // The chain moves on without the index following it: a new sensor, a block, a subscription.
  const later = await market.sensor(seller);
  await market.block(first.sensor);
  const sub = await market.subscribe(buyer, later.sensor, 3);
  const at = await market.provider.getBlockNumber();
  await indexer.seed(at);
  const after = await addresses(store);
  const m = (await store.market())!;
  assert.equal(after, [...before, later.sensor]);
  assert.is(new Set(after).size, after.length);
  assert.is((await store.sensorsPage({ first: 0 })).total, m.sensorCount);
  assert.equal((await store.sensors([first.sensor]))[0]?.status, 'blocked');
  assert.equal(
    (await store.sensors(after)).map((s) => s?.index),
    after.map((_, i) => i),
  );
  const principals = await store.principalsPage(1000);
  assert.is(principals.total, m.principalCount);
  assert.equal(
    principals.items.map((p) => p.index),
    principals.items.map((_, i) => i),
  );
  assert.equal((await store.subscriptionsOf(buyer.principal)).filter((s) => s.subscription === sub).length, 1);
  // Seeding again at the same block changes nothing.
  const dump = JSON.stringify(await store.sensors(after), (_, v) => (typeof v === 'bigint' ? `${v}` : v));
  await indexer.seed(at);
  assert.equal(await addresses(store), after);
  assert.is(
    JSON.stringify(await store.sensors(after), (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
    dump,
  );
  assert.is(await store.checkpoint(), at);
});

test('a retraction: what the undone window created goes, what it changed is read again from the chain', async () => {
  const { store, indexer } = fresh();
  const real = await market.sensor(seller);
  const seeded = await market.provider.getBlockNumber();
  await indexer.seed(seeded);
  const m = (await store.market())!;
  // The buyer's real subscriptions (the tests before this one made them): they stay.
  const realSubs = await store.subscriptionsOf(buyer.principal);
  // The index applied a window at a block the chain then took back: it registered `ghost`, blocked
  // `real` and subscribed to it. Written the way applyWindow writes, at that (later) block.
  const undone = seeded + 5;
  const ghost = sensorAddr(0xdead);
  const ghostSub = sensorAddr(0xbeef);
  const [stored] = await store.sensors([real.sensor]);
  await store.putSensors(undone, [
    { ...stored!, status: 'blocked', subscriptionCount: 1 },
    { ...stored!, sensor: ghost, index: m.sensorCount },
  ]);
  await store.putSubscriptions(undone, [
    {
      subscription: ghostSub,
      buyer: buyer.principal,
      sensor: real.sensor,
      startTimestamp: 0,
      dataEntries: 9,
      createdAt: 1,
      paid: 90n,
    },
  ]);
  await store.putMarket(undone, { ...m, sensorCount: m.sensorCount + 1 });
  await store.setCheckpoint(undone);
  assert.ok((await addresses(store, { status: ['blocked'] })).includes(real.sensor));
  assert.ok((await store.subscriptionsOf(buyer.principal)).some((s) => s.subscription === ghostSub));
  assert.ok((await addresses(store)).includes(ghost));
  const ev = (name: string, args: Record<string, unknown>, logIndex: number): ChainLogEvent => ({
    name,
    args,
    blockNumber: undone,
    logIndex,
  });
  const events = [
    ev('SensorRegistered', { sensor: ghost, principal: seller.principal }, 0),
    ev('SensorStatusChanged', { sensor: real.sensor }, 1),
    ev('Subscribed', { subscription: ghostSub, sensor: real.sensor, buyer: buyer.principal }, 2),
  ];
  const head = await market.provider.getBlockNumber();
  await indexer.retract(events, head);
  assert.equal(await store.sensors([ghost]), [undefined]);
  assert.not.ok((await addresses(store)).includes(ghost));
  assert.not.ok((await addresses(store, { seller: seller.principal })).includes(ghost));
  assert.equal(await store.subscriptionsOf(buyer.principal), realSubs);
  assert.equal((await store.sensors([real.sensor]))[0], { ...stored!, status: 'active', subscriptionCount: 0 });
  assert.ok((await addresses(store, { status: ['active'] })).includes(real.sensor));
  assert.not.ok((await addresses(store, { status: ['blocked'] })).includes(real.sensor));
  // The checkpoint goes back to the head the retraction read (forced: it was ahead).
  assert.is(await store.checkpoint(), head);
  assert.is((await store.sensorsPage({ first: 0 })).total, m.sensorCount);
  assert.is((await store.market())!.sensorCount, m.sensorCount);
});

/** The index of each sensor of `seller` the store lists, by address. */
async function indexesOf(store: RedisCatalogue, sensors: readonly string[]): Promise<(number | undefined)[]> {
  return (await store.sensors(sensors)).map((s) => s?.index);
}

test("a window whose logs lack its registrations (a node's logs behind its head): each at its index", async () => {
  const { store, indexer } = fresh();
  const seeded = await market.provider.getBlockNumber();
  await indexer.seed(seeded);
  const count = (await store.market())!.sensorCount;
  const sellerOf = async () => (await store.principalsPage(1000)).items.find((p) => p.principal === seller.principal);
  const sellerSensors = (await sellerOf())!.sensorCount;
  const a = await market.sensor(seller, false);
  const b = await market.sensor(seller);
  const newcomer = await market.principal('newcomer');
  const head = await market.provider.getBlockNumber();
  const logs = await market.provider.getLogs({ address: market.address, fromBlock: seeded + 1, toBlock: head });
  const events = parseMarketplaceLogs(logs, market.address);
  const lacking = events.filter((e) => e.name !== 'SensorRegistered' && e.name !== 'PrincipalRegistered');
  assert.ok(lacking.length < events.length);
  await indexer.applyWindow(head, lacking);
  assert.equal(await indexesOf(store, [a.sensor, b.sensor]), [count, count + 1]);
  assert.equal((await addresses(store)).slice(-2), [a.sensor, b.sensor]);
  assert.equal((await addresses(store, { status: ['inactive'] })).slice(-1), [a.sensor]);
  const principals = await store.principalsPage(1000);
  assert.is(principals.items.at(-1)?.principal, newcomer.principal);
  assert.is((await sellerOf())?.sensorCount, sellerSensors + 2);
  assert.is(principals.total, (await store.market())!.principalCount);
});

test('a window after a retraction that read a later block: its registrations still placed', async () => {
  const { store, indexer } = fresh();
  const seeded = await market.provider.getBlockNumber();
  await indexer.seed(seeded);
  const count = (await store.market())!.sensorCount;
  const x = await market.sensor(seller);
  const head = await market.provider.getBlockNumber();
  // The follower retracts a reorg at the confirmed head, then follows the new branch from the fork.
  await indexer.retract([], head);
  assert.is((await store.market())!.sensorCount, count + 1);
  await follow(indexer, seeded);
  assert.equal(await indexesOf(store, [x.sensor]), [count]);
  assert.equal((await addresses(store)).slice(-1), [x.sensor]);
});

test.run();
