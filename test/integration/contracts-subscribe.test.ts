// Sensor.subscribe against the test stack's anvil: who may subscribe, what it costs, where every
// wei goes (commission to the marketplace, the rest to the seller's pull balance, the excess
// back to the buyer), and what makes a subscription valid.
import { Wallet, ZeroAddress, parseEther } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SensorStatusCode,
  mined,
  readMarketplaceEvents,
  registerPrincipal,
  registerSensor,
  subscribe,
  type MarketplaceContract,
  type SensorContract,
} from '../../contracts/client.ts';
import { chainProvider, expectRevert, feeOf, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();
const price = 1_000_003n; // odd, so a 5 % commission does not divide evenly
const key = { url: '', email: '', rsaPublicKey: 'k' };

interface World {
  marketplace: MarketplaceContract;
  address: string;
  seller: Wallet;
  sensor: SensorContract;
  s: string;
  buyer: Wallet;
  b: string;
}

async function world(active = true): Promise<World> {
  const { marketplace, address } = await newMarketplace(provider);
  const seller = await fundedWallet(provider);
  const buyer = await fundedWallet(provider);
  const { principal } = await registerPrincipal(marketplace.connect(seller), { name: 'seller', ...key });
  const { address: b } = await registerPrincipal(marketplace.connect(buyer), { name: 'buyer', ...key });
  const { sensor, address: s } = await registerSensor(principal, {
    sensorType: 0,
    latitudeE6: 0,
    longitudeE6: 0,
    pricePerDataEntry: price,
  });
  if (active) await mined(sensor.activate());
  return { marketplace, address, seller, sensor, s, buyer, b };
}

test('subscribe: a genuine subscription with its terms; commission and seller share add up to the cost', async () => {
  const w = await world();
  const fees = await w.marketplace.feesAccrued();
  const before = await provider.getBalance(w.buyer.address);
  const {
    subscription: sub,
    address: a,
    paid,
    receipt,
  } = await subscribe(w.sensor.connect(w.buyer), w.b, { startTimestamp: 1_700_000_000, dataEntries: 7 });
  const cost = price * 7n;
  const commission = (cost * 500n) / 10_000n;
  assert.is(paid, cost);
  assert.is(await provider.getBalance(w.buyer.address), before - cost - feeOf(receipt));
  assert.is(await w.marketplace.feesAccrued(), fees + commission);
  assert.is(await w.marketplace.pendingWithdrawal(w.seller.address), cost - commission);
  assert.is(await provider.getBalance(w.s), 0n);
  const block = await provider.getBlock(receipt.blockNumber);
  assert.equal(
    [
      await sub.buyer(),
      await sub.sensor(),
      await sub.startTimestamp(),
      await sub.dataEntries(),
      await sub.createdAt(),
      await sub.pricePaid(),
      await sub.marketplace(),
    ],
    [w.b, w.s, 1_700_000_000n, 7n, BigInt(block!.timestamp), cost, w.address],
  );
  assert.ok(await sub.isDatastreamSubscriptionValid());
  assert.ok(await w.marketplace.isSubscription(a));
  assert.not.ok(await w.marketplace.isSensor(a));
  assert.is(await w.sensor.subscriptionCount(), 1n);
  assert.equal(
    (await w.marketplace.subscriptionsOf(w.b, w.s)).map((v) => v.subscription),
    [a],
  );
  assert.equal(
    receipt.logs.map((l) => l.address),
    [w.address],
  );
  const ev = (await readMarketplaceEvents(provider, w.address)).at(-1)!;
  assert.equal(
    { name: ev.name, args: ev.args },
    {
      name: 'Subscribed',
      args: { subscription: a, sensor: w.s, buyer: w.b, startTimestamp: 1_700_000_000n, dataEntries: 7n, paid: cost },
    },
  );
});

test('subscribe refunds any excess in the same transaction; the marketplace keeps exactly the cost', async () => {
  const w = await world();
  const before = await provider.getBalance(w.buyer.address);
  const { paid, receipt } = await subscribe(w.sensor.connect(w.buyer), w.b, {
    startTimestamp: 0,
    dataEntries: 3,
    value: parseEther('1'),
  });
  assert.is(paid, price * 3n);
  assert.is(await provider.getBalance(w.buyer.address), before - price * 3n - feeOf(receipt));
  assert.is(
    await provider.getBalance(w.address),
    (await w.marketplace.feesAccrued()) + (await w.marketplace.pendingWithdrawal(w.seller.address)),
  );
});

/** DataMarketplace.subscribe(sensor, ...) as `who`, straight, without the client helper. */
const buy =
  (w: World, who: Wallet, sensor = w.s) =>
  (buyer: string, start: number, entries: number, o: { value?: bigint } = {}) =>
    w.marketplace.connect(who).subscribe(sensor, buyer, start, entries, o);

test('subscribe reverts: zero entries, too little paid, inactive, blocked or unknown sensor', async () => {
  const w = await world(false);
  const s = buy(w, w.buyer);
  await expectRevert(s(w.b, 0, 1, { value: price }), 'SensorNotActive', [BigInt(SensorStatusCode.Inactive)]);
  await mined(w.sensor.activate());
  await expectRevert(s(w.b, 0, 0, { value: price }), 'ZeroDataEntries');
  await expectRevert(s(w.b, 0, 2, { value: 2n * price - 1n }), 'InsufficientPayment', [2n * price, 2n * price - 1n]);
  await expectRevert(s(w.b, 0, 2), 'InsufficientPayment', [2n * price, 0n]);
  for (const fake of [w.b, w.address, Wallet.createRandom().address]) {
    await expectRevert(buy(w, w.buyer, fake)(w.b, 0, 1, { value: price }), 'UnknownSensor', [fake]);
  }
  await mined(w.marketplace.blockSensor(w.s));
  await expectRevert(s(w.b, 0, 1, { value: price }), 'SensorNotActive', [BigInt(SensorStatusCode.Blocked)]);
  assert.is(await w.sensor.subscriptionCount(), 0n);
  assert.is(await w.marketplace.subscriptionCount(), 0n);
});

test("only the buyer principal's owner may subscribe for it", async () => {
  const w = await world();
  const mallory = await fundedWallet(provider);
  const { address: m } = await registerPrincipal(w.marketplace.connect(mallory), { name: 'mallory', ...key });
  const s = buy(w, mallory);
  // Someone else's principal: refused, whether or not the caller has a principal of its own.
  await expectRevert(s(w.b, 0, 1, { value: price }), 'NotPrincipalOwner', [mallory.address, w.b]);
  const nobody = await fundedWallet(provider);
  await expectRevert(buy(w, nobody)(w.b, 0, 1, { value: price }), 'NotPrincipalOwner', [nobody.address, w.b]);
  // Addresses that are no principal of this marketplace, the zero address included.
  for (const fake of [w.s, w.address, Wallet.createRandom().address, nobody.address]) {
    await expectRevert(buy(w, nobody)(fake, 0, 1, { value: price }), 'UnknownPrincipal', [fake]);
  }
  await expectRevert(buy(w, nobody)(ZeroAddress, 0, 1, { value: price }), 'UnknownPrincipal', [ZeroAddress]);
  await expectRevert(s(ZeroAddress, 0, 1, { value: price }), 'UnknownPrincipal', [ZeroAddress]);
  // Mallory for herself is fine.
  await subscribe(w.sensor.connect(mallory), m, { startTimestamp: 0, dataEntries: 1 });
});

test('valid unless the sensor is Blocked: deactivating keeps it, a block voids it, unblocking restores', async () => {
  const w = await world();
  const { subscription: sub } = await subscribe(w.sensor.connect(w.buyer), w.b, { startTimestamp: 0, dataEntries: 1 });
  await mined(w.sensor.deactivate());
  assert.ok(await sub.isDatastreamSubscriptionValid());
  await mined(w.marketplace.blockSensor(w.s));
  assert.not.ok(await sub.isDatastreamSubscriptionValid());
  await mined(w.marketplace.unblockSensor(w.s));
  assert.ok(await sub.isDatastreamSubscriptionValid());
});

test('a price change applies to new subscriptions only; a free sensor costs nothing, refunds everything', async () => {
  const w = await world();
  const { subscription: first } = await subscribe(w.sensor.connect(w.buyer), w.b, {
    startTimestamp: 0,
    dataEntries: 2,
  });
  await mined(w.sensor.setPricePerDataEntry(0));
  const before = await provider.getBalance(w.buyer.address);
  const {
    subscription: free,
    paid,
    receipt,
  } = await subscribe(w.sensor.connect(w.buyer), w.b, { startTimestamp: 0, dataEntries: 1000, value: 5n });
  assert.is(paid, 0n);
  assert.is(await provider.getBalance(w.buyer.address), before - feeOf(receipt));
  assert.is(await first.pricePaid(), 2n * price);
  assert.is(await free.pricePaid(), 0n);
  assert.is(await w.sensor.subscriptionCount(), 2n);
});

test('commission at 0 and at 10000 bps: all to the seller, or all to the marketplace', async () => {
  for (const bps of [0n, 10_000n]) {
    const w = await world();
    await mined(w.marketplace.setCommissionBps(bps));
    const fees = await w.marketplace.feesAccrued();
    await subscribe(w.sensor.connect(w.buyer), w.b, { startTimestamp: 0, dataEntries: 3 });
    assert.is((await w.marketplace.feesAccrued()) - fees, bps === 0n ? 0n : 3n * price);
    assert.is(await w.marketplace.pendingWithdrawal(w.seller.address), bps === 0n ? 3n * price : 0n);
  }
});

test.after(() => provider.destroy());
test.run();
