// Pull payments against the test stack's anvil: sellers withdraw what subscriptions earned them,
// the owner withdraws fees, and over a whole market day every wei buyers sent is accounted for.
import { Wallet, ZeroAddress, parseEther } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  mined,
  readMarketplaceEvents,
  registerPrincipal,
  registerSensor,
  subscribe,
  type SensorContract,
} from '../../contracts/client.ts';
import { chainProvider, expectRevert, feeOf, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();
const key = { url: '', email: '', rsaPublicKey: 'k' };

test('withdraw: the seller pulls exactly its share, once; withdrawTo pays another address', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  const seller = await fundedWallet(provider);
  const buyer = await fundedWallet(provider);
  const { principal } = await registerPrincipal(marketplace.connect(seller), { name: 's', ...key });
  const { address: b } = await registerPrincipal(marketplace.connect(buyer), { name: 'b', ...key });
  const { sensor } = await registerSensor(principal, {
    sensorType: 1,
    latitudeE6: 0,
    longitudeE6: 0,
    pricePerDataEntry: 10_000n,
  });
  await mined(sensor.activate());
  await subscribe(sensor.connect(buyer), b, { startTimestamp: 0, dataEntries: 10 });
  const share = 100_000n - 5_000n;
  assert.is(await marketplace.pendingWithdrawal(seller.address), share);
  await expectRevert(marketplace.connect(buyer).withdraw(), 'NothingToWithdraw', [buyer.address]);
  const before = await provider.getBalance(seller.address);
  const receipt = await mined(marketplace.connect(seller).withdraw());
  assert.is(await provider.getBalance(seller.address), before + share - feeOf(receipt));
  assert.is(await marketplace.pendingWithdrawal(seller.address), 0n);
  await expectRevert(marketplace.connect(seller).withdraw(), 'NothingToWithdraw', [seller.address]);
  const ev = (await readMarketplaceEvents(provider, address)).at(-1)!;
  assert.equal(
    { name: ev.name, args: ev.args },
    { name: 'SellerWithdrawal', args: { seller: seller.address, amount: share } },
  );

  await subscribe(sensor.connect(buyer), b, { startTimestamp: 0, dataEntries: 10 });
  const to = Wallet.createRandom().address;
  await expectRevert(marketplace.connect(seller).withdrawTo(ZeroAddress), 'ZeroAddress');
  await mined(marketplace.connect(seller).withdrawTo(to));
  assert.is(await provider.getBalance(to), share);
});

// A deterministic market day: 2 sellers with 3 sensors, 3 buyers, a commission rate (333 bps)
// that never divides evenly, registration fees of 7 and 11 wei.
async function marketDay() {
  const { owner, marketplace, address } = await newMarketplace(provider, {
    dspRegistrationPrice: 7n,
    sensorRegistrationPrice: 11n,
    commissionBps: 333,
  });
  const sellers = [await fundedWallet(provider), await fundedWallet(provider)];
  const buyers = [await fundedWallet(provider), await fundedWallet(provider), await fundedWallet(provider)];
  const principals = [];
  for (const [i, seller] of sellers.entries())
    principals.push((await registerPrincipal(marketplace.connect(seller), { name: `s${i}`, ...key })).principal);
  const sensors: { sensor: SensorContract; seller: Wallet; price: bigint }[] = [];
  for (const [i, price] of [999_999_937n, 1n, parseEther('0.000123456789')].entries()) {
    const { sensor } = await registerSensor(principals[i % 2]!, {
      sensorType: i,
      latitudeE6: 0,
      longitudeE6: 0,
      pricePerDataEntry: price,
    });
    await mined(sensor.activate());
    sensors.push({ sensor, seller: sellers[i % 2]!, price });
  }
  const buyerPrincipals: string[] = [];
  for (const [i, b] of buyers.entries())
    buyerPrincipals.push((await registerPrincipal(marketplace.connect(b), { name: `b${i}`, ...key })).address);
  return {
    owner,
    marketplace,
    address,
    sellers,
    buyers,
    buyerPrincipals,
    sensors,
    registrationFees: 5n * 7n + 3n * 11n,
  };
}

test('to the wei: what buyers sent = commission + seller payouts + refunds; the marketplace ends empty', async () => {
  const { owner, marketplace, address, sellers, buyers, buyerPrincipals, sensors, registrationFees } =
    await marketDay();
  assert.is(await marketplace.feesAccrued(), registrationFees);

  const start = { buyers: await Promise.all(buyers.map((b) => provider.getBalance(b.address))) };
  const gas = [0n, 0n, 0n];
  let sent = 0n;
  let expectedCommission = 0n;
  let expectedRefunds = 0n;
  const expectedShare = new Map<string, bigint>();
  for (let k = 0; k < 12; k++) {
    const { sensor, seller, price } = sensors[k % 3]!;
    const bi = (k + Math.floor(k / 3)) % 3; // every buyer buys from every sensor
    const entries = BigInt(1 + ((k * 7) % 13));
    const cost = price * entries;
    const value = cost + (k % 4 === 0 ? BigInt(k) * 1_000_003n : 0n);
    const { receipt } = await subscribe(sensor.connect(buyers[bi]!), buyerPrincipals[bi]!, {
      startTimestamp: k,
      dataEntries: entries,
      value,
    });
    gas[bi]! += feeOf(receipt);
    sent += value;
    expectedRefunds += value - cost;
    const commission = (cost * 333n) / 10_000n;
    expectedCommission += commission;
    expectedShare.set(seller.address, (expectedShare.get(seller.address) ?? 0n) + cost - commission);
  }
  const refunds =
    (await Promise.all(buyers.map((b) => provider.getBalance(b.address)))).reduce(
      (sum, after, i) => sum + after - start.buyers[i]! + gas[i]!, // = refunds_i - sent_i
      0n,
    ) + sent;
  assert.is(refunds, expectedRefunds);
  const commission = (await marketplace.feesAccrued()) - registrationFees;
  assert.is(commission, expectedCommission);

  let payouts = 0n;
  for (const seller of sellers) {
    const before = await provider.getBalance(seller.address);
    const receipt = await mined(marketplace.connect(seller).withdraw());
    const got = (await provider.getBalance(seller.address)) - before + feeOf(receipt);
    assert.is(got, expectedShare.get(seller.address));
    payouts += got;
  }
  assert.is(sent, commission + payouts + refunds);
  assert.ok(refunds > 0n && commission > 0n);

  const to = Wallet.createRandom().address;
  await mined(marketplace.connect(owner).withdrawFees(to));
  assert.is(await provider.getBalance(to), registrationFees + commission);
  assert.is(await provider.getBalance(address), 0n);
  for (const { sensor } of sensors) assert.is(await provider.getBalance(await sensor.getAddress()), 0n);
});

test.after(() => provider.destroy());
test.run();
