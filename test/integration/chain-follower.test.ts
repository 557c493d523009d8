// The chain adapter's reads and its one event follower (issue 16), on real anvil and Redis: a cold
// entitlement check is one eth_call whatever the chain's age; events are followed in windows a
// node's range cap allows (a proxy refuses bigger ones, as public providers do) from a checkpoint
// kept in Redis; an event counts after chain.confirmations blocks; a reorg (evm_revert,
// anvil_reorg) takes back what it granted. Reorgs run on an anvil of this file's own.
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChainEntitlements, type ChainOptions } from '../../chain/entitlements.ts';
import type { EntitlementEvent } from '../../interfaces/layers.ts';
import { createLogger } from '../../lib/log.ts';
import { RpcCounter } from '../../bench/rpc-proxy.ts';
import { Market, type Account } from '../helpers/market.ts';
import { privateAnvil, type PrivateAnvil } from '../../stack/private-anvil.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const log = createLogger({ level: 'silent' });
let redis: Redis;
let shared: Market;
let anvil: PrivateAnvil;
let own: Market;

function adapter(market: Market, rpcUrl: string, o: Partial<ChainOptions> = {}, prefix = `${unique('follow')}:`) {
  const chain = new ChainEntitlements(
    {
      rpcUrl,
      marketplace: market.address,
      chainId: 31337,
      fromBlock: market.deployBlock,
      cacheTtlSec: 3600,
      rpcTimeoutMs: 5000,
      pollIntervalMs: 100_000, // rounds are driven by the test (poll())
      maxConcurrentLoads: 8,
      maxLoadWaitMs: 30000,
      ...o,
    },
    redis,
    prefix,
    log,
  );
  const events: EntitlementEvent[] = [];
  chain.onEvent((e) => events.push(e));
  return { chain, events, prefix };
}

const rpc = (m: Market, method: string, params: unknown[] = []) => m.provider.send(method, params) as Promise<unknown>;
const kinds = (events: EntitlementEvent[]) => events.map((e) => e.kind);

test.before(async () => {
  redis = new Redis(svc.redisUrl);
  shared = await Market.deploy(svc.rpcUrl);
  anvil = await privateAnvil();
  own = await Market.deploy(anvil.rpcUrl);
});

test.after(async () => {
  shared.close();
  own.close();
  await anvil.stop();
  await redis.quit();
});

test('a cold entitlement check is one eth_call, and no eth_getLogs', async () => {
  const seller = await shared.principal('seller');
  const buyer = await shared.principal('buyer');
  const { sensor } = await shared.sensor(seller);
  await shared.subscribe(buyer, sensor, 5);
  await shared.subscribe(buyer, sensor, 7);
  const proxy = new RpcCounter(svc.rpcUrl);
  const { chain } = adapter(shared, await proxy.start());
  const grants = await chain.validSubscriptions(buyer.principal, sensor);
  assert.equal(
    grants.map((g) => g.dataEntries),
    [5, 7],
  );
  assert.equal(proxy.snapshot(), { eth_call: 1 });
  assert.is((await chain.sensor(sensor))?.status, 'active');
  assert.equal(proxy.snapshot(), { eth_call: 2 }, 'a cold sensor is one eth_call too');
  await chain.validSubscriptions(buyer.principal, sensor);
  assert.equal(proxy.snapshot(), { eth_call: 2 }, 'a warm check asks nothing');
  await chain.stop();
  await proxy.stop();
});

test('checks waiting together share one multicall: fewer reads than pairs, each answer its own', async () => {
  const seller = await shared.principal('seller');
  const buyers = [await shared.principal('b1'), await shared.principal('b2')];
  const sensors: string[] = [];
  for (let i = 0; i < 5; i++) sensors.push((await shared.sensor(seller)).sensor);
  for (let i = 0; i < 5; i++) await shared.subscribe(buyers[i % 2]!, sensors[i]!, 10 + i);
  const proxy = new RpcCounter(svc.rpcUrl);
  const { chain } = adapter(shared, await proxy.start(), { maxConcurrentLoads: 1 });
  const pairs = buyers.flatMap((b) => sensors.map((s) => [b.principal, s] as const));
  const answers = await Promise.all(pairs.map(([b, s]) => chain.validSubscriptions(b, s)));
  const entries = answers.map((g) => g.map((x) => x.dataEntries));
  assert.equal(entries, [[10], [], [12], [], [14], [], [11], [], [13], []]);
  const calls = proxy.snapshot().eth_call ?? 0;
  assert.ok(calls >= 1 && calls <= 3, `${calls} eth_call for ${pairs.length} pairs`);
  await chain.stop();
  await proxy.stop();
});

test('events are followed in windows under a range cap, from the checkpoint kept in Redis', async () => {
  const seller = await shared.principal('seller');
  const buyer = await shared.principal('buyer');
  const { sensor } = await shared.sensor(seller);
  const capped = new RpcCounter(svc.rpcUrl, 5);
  const other = new RpcCounter(svc.rpcUrl, 5);
  const cappedUrl = await capped.start();
  const first = adapter(shared, cappedUrl, { maxLogRange: 5 });
  const greedy = adapter(shared, await other.start(), { maxLogRange: 1000 });
  await first.chain.poll();
  await greedy.chain.poll();
  await rpc(shared, 'anvil_mine', ['0x17']);
  await shared.subscribe(buyer, sensor, 3);
  await first.chain.poll();
  const heard = (f: typeof first, n: number) =>
    f.events.some((e) => e.kind === 'subscribed' && e.grant.sensor === sensor && e.grant.dataEntries === n);
  assert.ok(heard(first, 3), 'seen through 5-block windows');
  assert.is(capped.refused, 0, 'none of them refused');
  await greedy.chain.poll();
  assert.ok(other.refused > 0, "the proxy refused the greedy follower's range");
  assert.ok(heard(greedy, 3), 'a follower asking for more than the node answers halves its windows until answered');
  await first.chain.stop();
  // Stopped, the chain moves on; a new adapter on the same prefix resumes at the checkpoint.
  await shared.subscribe(buyer, sensor, 4);
  await rpc(shared, 'anvil_mine', ['0x0b']);
  const next = adapter(shared, cappedUrl, { maxLogRange: 5 }, first.prefix);
  await next.chain.poll();
  assert.ok(heard(next, 4), 'the event of the stopped stretch is heard');
  assert.ok(!heard(next, 3), 'and not the ones before the checkpoint');
  assert.is(capped.refused, 0, 'no window of the capped followers was refused');
  await Promise.all([greedy.chain.stop(), next.chain.stop()]);
  await Promise.all([capped.stop(), other.stop()]);
});

test('chain.confirmations: a subscription grants nothing until it is that deep', async () => {
  const seller = await own.principal('seller');
  const buyer = await own.principal('buyer');
  const { sensor } = await own.sensor(seller);
  const { chain, events } = adapter(own, anvil.rpcUrl, { confirmations: 3 });
  await chain.poll();
  await own.subscribe(buyer, sensor, 9);
  await chain.poll();
  assert.equal(await chain.validSubscriptions(buyer.principal, sensor), [], 'read at the confirmed block');
  const subscribed = () => events.filter((e) => e.kind === 'subscribed');
  assert.equal(subscribed(), [], 'not heard yet');
  await rpc(own, 'anvil_mine', ['0x3']);
  await chain.poll();
  assert.is(subscribed().length, 1);
  assert.is((await chain.validSubscriptions(buyer.principal, sensor)).length, 1);
  await chain.stop();
});

test('evm_revert: a subscription mined, seen, then reorganised away is taken back', async () => {
  const seller = await own.principal('seller');
  const buyer = await own.principal('buyer');
  const { sensor } = await own.sensor(seller);
  const { chain, events } = adapter(own, anvil.rpcUrl);
  await chain.poll();
  const snapshot = await rpc(own, 'evm_snapshot');
  await own.subscribe(buyer, sensor, 6);
  await chain.poll();
  assert.is((await chain.validSubscriptions(buyer.principal, sensor)).length, 1, 'granted');
  assert.equal(kinds(events), ['subscribed']);
  assert.is(await rpc(own, 'evm_revert', [snapshot]), true);
  await rpc(own, 'anvil_mine', ['0x2']); // the new branch outgrows the old one
  await chain.poll();
  assert.equal(await chain.validSubscriptions(buyer.principal, sensor), [], 'taken back');
  assert.equal(events.at(-1), { kind: 'subscription-retracted', buyer: buyer.principal, sensor, remaining: 0 });
  await chain.stop();
});

test('anvil_reorg: a sensor registration reorganised away is retracted, its cached answer dropped', async () => {
  const seller = await own.principal('seller');
  const { chain, events } = adapter(own, anvil.rpcUrl);
  await chain.poll();
  const { sensor } = await own.sensor(seller, false);
  await chain.poll();
  assert.is((await chain.sensor(sensor))?.status, 'inactive');
  // The last two blocks (registration, nothing else) replaced by empty ones: same height, new hashes.
  await rpc(own, 'anvil_mine', ['0x1']);
  await rpc(own, 'anvil_reorg', [2, []]);
  await chain.poll();
  assert.is(await chain.sensor(sensor), undefined, 'no longer a sensor of the marketplace');
  assert.equal(events.at(-1), { kind: 'sensor-retracted', sensor });
  await chain.stop();
});

test('a sink whose retraction fails gets the same reorg again on the next round', async () => {
  const seller = await own.principal('seller');
  const buyer = await own.principal('buyer');
  const { sensor } = await own.sensor(seller);
  const { chain, events } = adapter(own, anvil.rpcUrl);
  // A second sink, as the catalogue's: its first retraction fails (a view read timing out).
  const retracted: string[][] = [];
  let failures = 1;
  chain.follower!.add({
    window: async () => undefined,
    retract: async (undone) => {
      if (failures-- > 0) throw new Error('view read timed out');
      retracted.push(undone.map((e) => e.name));
    },
  });
  await chain.poll();
  const snapshot = await rpc(own, 'evm_snapshot');
  await own.subscribe(buyer, sensor, 6);
  await chain.poll();
  assert.is(await rpc(own, 'evm_revert', [snapshot]), true);
  await rpc(own, 'anvil_mine', ['0x2']);
  await chain.poll();
  assert.equal(retracted, [], 'the failed retraction is not counted');
  await chain.poll();
  assert.equal(retracted, [['Subscribed']], 'the next round retracts the same events');
  assert.equal(await chain.validSubscriptions(buyer.principal, sensor), [], 'taken back');
  assert.equal(events.at(-1), { kind: 'subscription-retracted', buyer: buyer.principal, sensor, remaining: 0 });
  await chain.poll();
  assert.is(retracted.length, 1, 'and only once when it succeeds');
  await chain.stop();
});

test.run();
