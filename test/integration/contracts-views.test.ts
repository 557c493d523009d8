// The marketplace's one-call views against the test stack's anvil (docs/contracts-api.md,
// "Views"): what the gateway and a catalogue need about a principal, a sensor or a (buyer,
// sensor) pair, each in one eth_call on current state, whatever happened elsewhere before.
import { JsonRpcProvider, Wallet, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  attachMarketplace,
  marketplaceInterface,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
  type SensorContract,
} from '../../contracts/client.ts';
import { rsaKeyHash } from '../../contracts/keys.ts';
import {
  accountInfo,
  batchValidSubscriptions,
  principalInfo,
  sensorInfo,
  sensorsPage,
  subscriptionInfo,
  validSubscriptions,
} from '../../contracts/views.ts';
import { SAMPLE_RSA_KEY, chainProvider, expectRevert, fundedWallet, newMarketplace } from '../helpers/chain.ts';
import { services } from '../helpers/services.ts';

const provider = chainProvider();

/** Counts the eth_call requests that leave for the node. */
class CountingProvider extends JsonRpcProvider {
  calls = 0;
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.calls += [payload].flat().filter((p) => p.method === 'eth_call').length;
    return super._send(payload);
  }
}

/** Two sellers with sensors, two buyers. */
async function market() {
  const m = await newMarketplace(provider);
  const [s1, s2, b1, b2] = [
    await fundedWallet(provider),
    await fundedWallet(provider),
    await fundedWallet(provider),
    await fundedWallet(provider),
  ];
  const reg = (w: Wallet, name: string) =>
    registerPrincipal(m.marketplace.connect(w), {
      name,
      url: `https://${name}.example.org`,
      email: `${name}@example.org`,
      rsaPublicKey: SAMPLE_RSA_KEY,
    });
  const [p1, p2, q1, q2] = [
    await reg(s1, 'alpha'),
    await reg(s2, 'beta'),
    await reg(b1, 'buyer1'),
    await reg(b2, 'buyer2'),
  ];
  const sensors: SensorContract[] = [];
  for (let i = 0; i < 5; i++) {
    const { sensor } = await registerSensor((i % 2 === 0 ? p1 : p2).principal, {
      sensorType: i % 4,
      latitudeE6: 47_000_000 + i,
      longitudeE6: -8_000_000 - i,
      pricePerDataEntry: 10n + BigInt(i),
    });
    await mined(sensor.activate());
    sensors.push(sensor);
  }
  const addr = await Promise.all(sensors.map((s) => s.getAddress()));
  return { ...m, s1, s2, b1, b2, p1, p2, q1, q2, sensors, addr };
}

test('principalInfo / accountInfo: a principal in one call; anything else answers undefined', async () => {
  const w = await market();
  await subscribe(w.sensors[0]!.connect(w.b1), w.q1.address, { startTimestamp: 0, dataEntries: 10 });
  const info = await principalInfo(w.marketplace, w.p1.address);
  assert.equal(info, {
    principal: w.p1.address,
    owner: w.s1.address,
    name: 'alpha',
    url: 'https://alpha.example.org',
    email: 'alpha@example.org',
    rsaPublicKeyHash: rsaKeyHash(SAMPLE_RSA_KEY),
    rsaPublicKeyBlock: w.p1.receipt.blockNumber,
    sensorCount: 3,
    pendingWithdrawal: await w.marketplace.pendingWithdrawal(w.s1.address),
  });
  assert.is(info!.pendingWithdrawal, 100n - 5n);
  assert.equal(await accountInfo(w.marketplace, w.s1.address), info);
  for (const other of [w.addr[0]!, w.address, Wallet.createRandom().address]) {
    assert.is(await principalInfo(w.marketplace, other), undefined, other);
    assert.is(await accountInfo(w.marketplace, other), undefined, other);
  }
  assert.is(await w.marketplace.apiVersion(), 2n);
});

test(
  'sensorInfo and the catalogue: every field in one call, ' +
    'sensorsPage pages in registration order, sensorsOf per seller',
  async () => {
    const w = await market();
    await mined(w.sensors[1]!.connect(w.s2).setPricePerDataEntry(99n));
    await mined(w.marketplace.blockSensor(w.addr[3]!));
    await subscribe(w.sensors[4]!.connect(w.b2), w.q2.address, { startTimestamp: 0, dataEntries: 1 });
    assert.equal(await sensorInfo(w.marketplace, w.addr[1]!), {
      sensor: w.addr[1]!,
      principal: w.p2.address,
      owner: w.s2.address,
      sensorType: 1,
      latitudeE6: 47_000_001,
      longitudeE6: -8_000_001,
      pricePerDataEntry: 99n,
      status: 'active',
      subscriptionCount: 0,
    });
    const all = await sensorsPage(w.marketplace, 0, 100);
    assert.equal(
      all.map((s) => s.sensor),
      w.addr,
    );
    assert.equal(
      all.map((s) => [s.status, s.subscriptionCount]),
      [
        ['active', 0],
        ['active', 0],
        ['active', 0],
        ['blocked', 0],
        ['active', 1],
      ],
    );
    for (const [i, s] of all.entries()) assert.equal(await sensorInfo(w.marketplace, w.addr[i]!), s);
    const pages = [
      await sensorsPage(w.marketplace, 0, 2),
      await sensorsPage(w.marketplace, 2, 2),
      await sensorsPage(w.marketplace, 4, 2),
      await sensorsPage(w.marketplace, 5, 2),
    ];
    assert.equal(
      pages.map((p) => p.length),
      [2, 2, 1, 0],
    );
    assert.equal(pages.flat(), all);
    assert.equal(await sensorsPage(w.marketplace, 99, 2), []);
    assert.equal([...(await w.marketplace.sensorsOf(w.p1.address))], [w.addr[0], w.addr[2], w.addr[4]]);
    assert.equal([...(await w.marketplace.sensorsOf(w.p2.address))], [w.addr[1], w.addr[3]]);
    assert.equal([...(await w.marketplace.sensorsOf(w.q1.address))], []);
    assert.is(await sensorInfo(w.marketplace, w.p1.address), undefined);
    assert.is(await w.marketplace.sensorCount(), 5n);
  },
);

test(
  "validSubscriptions: the pair's subscriptions, oldest first, " +
    'none while the sensor is blocked; other pairs never mix in',
  async () => {
    const w = await market();
    const [a, b] = [w.sensors[0]!, w.sensors[1]!];
    const later = Math.floor(Date.now() / 1000) + 86_400;
    const mine = [];
    for (const [start, entries] of [
      [0, 5],
      [later, 7],
      [1_700_000_000, 11],
    ] as const) {
      mine.push(await subscribe(a.connect(w.b1), w.q1.address, { startTimestamp: start, dataEntries: entries }));
    }
    await subscribe(a.connect(w.b2), w.q2.address, { startTimestamp: 0, dataEntries: 1 });
    await subscribe(b.connect(w.b1), w.q1.address, { startTimestamp: 0, dataEntries: 2 });
    const grants = await validSubscriptions(w.marketplace, w.q1.address, w.addr[0]!);
    const times = await Promise.all(mine.map(async (s) => (await provider.getBlock(s.receipt.blockNumber))!.timestamp));
    assert.equal(
      grants,
      mine.map((s, i) => ({
        subscription: s.address,
        buyer: w.q1.address,
        sensor: w.addr[0]!,
        startTimestamp: [0, later, 1_700_000_000][i]!,
        dataEntries: [5, 7, 11][i]!,
        createdAt: times[i]!,
        paid: 10n * BigInt([5, 7, 11][i]!),
      })),
    );
    for (const g of grants) assert.equal(await subscriptionInfo(w.marketplace, g.subscription), g);
    assert.is(await subscriptionInfo(w.marketplace, w.addr[0]!), undefined);
    assert.is((await validSubscriptions(w.marketplace, w.q2.address, w.addr[0]!)).length, 1);
    assert.is((await validSubscriptions(w.marketplace, w.q1.address, w.addr[1]!)).length, 1);
    assert.equal(await validSubscriptions(w.marketplace, w.q2.address, w.addr[1]!), []);
    assert.equal(await validSubscriptions(w.marketplace, w.q1.address, Wallet.createRandom().address), []);
    await mined(w.marketplace.blockSensor(w.addr[0]!));
    assert.equal(await validSubscriptions(w.marketplace, w.q1.address, w.addr[0]!), [], 'blocked: nothing is valid');
    assert.is((await w.marketplace.subscriptionsOf(w.q1.address, w.addr[0]!)).length, 3, 'but the history stays');
    await mined(w.marketplace.unblockSensor(w.addr[0]!));
    assert.equal(await validSubscriptions(w.marketplace, w.q1.address, w.addr[0]!), grants);
  },
);

test(
  'batchValidSubscriptions: any number of pairs in one eth_call, ' +
    'the same answers; multicall bubbles the first failure',
  async () => {
    const w = await market();
    for (const [s, b, q] of [
      [0, w.b1, w.q1],
      [0, w.b1, w.q1],
      [1, w.b2, w.q2],
      [2, w.b1, w.q1],
    ] as const) {
      await subscribe(w.sensors[s]!.connect(b), q.address, { startTimestamp: 0, dataEntries: 3 });
    }
    const pairs = [w.q1.address, w.q2.address].flatMap((q) => w.addr.map((s) => [q, s] as const));
    const one = await Promise.all(pairs.map(([q, s]) => validSubscriptions(w.marketplace, q, s)));
    const counting = new CountingProvider(services().rpcUrl, undefined, {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 1,
    });
    const batched = await batchValidSubscriptions(attachMarketplace(w.address, counting), pairs);
    assert.is(counting.calls, 1, 'one eth_call for ten pairs');
    assert.equal(batched, one);
    assert.equal(
      one.map((g) => g.length),
      [2, 0, 1, 0, 0, 0, 1, 0, 0, 0],
    );
    const bad = [
      marketplaceInterface.encodeFunctionData('sensorCount'),
      marketplaceInterface.encodeFunctionData('principalAt', [99]),
    ];
    await expectRevert(w.marketplace.multicall(bad), 'NoSuchIndex', [99n]);
    counting.destroy();
  },
);

test("a pair's check reads current state only: its cost does not move while other pairs subscribe", async () => {
  const w = await market();
  await subscribe(w.sensors[0]!.connect(w.b1), w.q1.address, { startTimestamp: 0, dataEntries: 1 });
  const cost = () => w.marketplace.validSubscriptions.estimateGas(w.q1.address, w.addr[0]!);
  const before = await cost();
  for (let i = 0; i < 12; i++) {
    // Everyone but (buyer 1, sensor 0): buyer 2 everywhere, buyer 1 on the other sensors.
    const [b, q] = i % 5 === 0 || i % 2 === 0 ? [w.b2, w.q2] : [w.b1, w.q1];
    await subscribe(w.sensors[i % 5]!.connect(b), q.address, { startTimestamp: 0, dataEntries: 1 + i });
  }
  assert.ok(
    (await validSubscriptions(w.marketplace, w.q2.address, w.addr[0]!)).length > 0,
    'another pair of the same sensor grew',
  );
  assert.is(await cost(), before);
  assert.is(await w.marketplace.subscriptionCount(), 13n);
});

test('enumerations: principals, sensors and subscriptions by index, NoSuchIndex past the end', async () => {
  const w = await market();
  await subscribe(w.sensors[2]!.connect(w.b2), w.q2.address, { startTimestamp: 0, dataEntries: 1 });
  assert.equal([...(await w.marketplace.principals())], [w.p1.address, w.p2.address, w.q1.address, w.q2.address]);
  assert.is(await w.marketplace.principalAt(3), w.q2.address);
  assert.is(await w.marketplace.sensorAt(4), w.addr[4]);
  assert.is(
    await w.marketplace.subscriptionAt(0),
    (await w.marketplace.subscriptionsOf(w.q2.address, w.addr[2]!))[0]!.subscription,
  );
  await expectRevert(w.marketplace.principalAt(4), 'NoSuchIndex', [4n]);
  await expectRevert(w.marketplace.sensorAt(5), 'NoSuchIndex', [5n]);
  await expectRevert(w.marketplace.subscriptionAt(1), 'NoSuchIndex', [1n]);
  await expectRevert(w.p1.principal.sensorAt(3), 'NoSuchIndex', [3n]);
});

test.after(() => provider.destroy());
test.run();
