// Sensors against the test stack's anvil: registration through the seller's principal (fee to
// the marketplace), activation by the seller, blocking by the marketplace owner, price changes.
import { Wallet, parseEther } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SensorStatusCode,
  attachSensor,
  mined,
  readMarketplaceEvents,
  registerPrincipal,
  registerSensor,
  type MarketplaceContract,
  type PrincipalContract,
} from '../../contracts/client.ts';
import { DEFAULT_PARAMS, chainProvider, expectRevert, feeOf, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();
const fee = DEFAULT_PARAMS.sensorRegistrationPrice;
const spec = { sensorType: 2, latitudeE6: 47_376_887, longitudeE6: 8_541_694, pricePerDataEntry: parseEther('0.0001') };

async function seller(): Promise<{
  marketplace: MarketplaceContract;
  owner: Wallet;
  address: string;
  sellerWallet: Wallet;
  principal: PrincipalContract;
  p: string;
}> {
  const { marketplace, owner, address } = await newMarketplace(provider);
  const sellerWallet = await fundedWallet(provider);
  const { principal, address: p } = await registerPrincipal(marketplace.connect(sellerWallet), {
    name: 's',
    url: '',
    email: '',
    rsaPublicKey: 'k',
  });
  return { marketplace, owner, address, sellerWallet, principal, p };
}

test('registerSensor: a genuine Inactive sensor, its details, listed by its principal, fee to the market', async () => {
  const { marketplace, address, sellerWallet, principal, p } = await seller();
  const before = await provider.getBalance(sellerWallet.address);
  const feesBefore = await marketplace.feesAccrued();
  const { sensor, address: s, receipt } = await registerSensor(principal, spec);
  assert.is(await provider.getBalance(sellerWallet.address), before - fee - feeOf(receipt));
  assert.is(await marketplace.feesAccrued(), feesBefore + fee);
  assert.is(await provider.getBalance(p), 0n);
  assert.is(await provider.getBalance(s), 0n);
  assert.equal(
    [
      await sensor.marketplace(),
      await sensor.principal(),
      await sensor.owner(),
      await sensor.sensorType(),
      await sensor.latitudeE6(),
      await sensor.longitudeE6(),
      await sensor.pricePerDataEntry(),
      await sensor.status(),
    ],
    [
      address,
      p,
      sellerWallet.address,
      2n,
      47_376_887n,
      8_541_694n,
      spec.pricePerDataEntry,
      BigInt(SensorStatusCode.Inactive),
    ],
  );
  assert.ok(await marketplace.isSensor(s));
  assert.not.ok(await marketplace.isPrincipal(s));
  assert.is(await principal.sensorCount(), 1n);
  assert.is(await principal.sensorAt(0), s);
  assert.equal([...(await principal.sensors())], [s]);
  assert.is(await sensor.subscriptionCount(), 0n);
  const ev = (await readMarketplaceEvents(provider, address)).at(-1)!;
  assert.equal(
    { name: ev.name, args: ev.args },
    {
      name: 'SensorRegistered',
      args: { sensor: s, principal: p, sensorType: 2n, pricePerDataEntry: spec.pricePerDataEntry },
    },
  );
});

test('registerSensor reverts: not the owner, wrong fee, unknown type, coordinates off the globe', async () => {
  const { marketplace, principal, sellerWallet } = await seller();
  const stranger = await fundedWallet(provider);
  const p = await principal.getAddress();
  const reg = (s: Partial<typeof spec>, value = fee, m = marketplace.connect(sellerWallet), of = p) => {
    const x = { ...spec, ...s };
    return m.registerSensor(of, x.sensorType, x.latitudeE6, x.longitudeE6, x.pricePerDataEntry, { value });
  };
  await expectRevert(reg({}, fee, marketplace.connect(stranger)), 'NotOwner', [stranger.address]);
  const other = Wallet.createRandom().address;
  await expectRevert(reg({}, fee, undefined, other), 'UnknownPrincipal', [other]);
  // Someone else's principal, by an account that has one of its own.
  const { address: strangers } = await registerPrincipal(marketplace.connect(stranger), {
    name: 'x',
    url: '',
    email: '',
    rsaPublicKey: 'k',
  });
  await expectRevert(reg({}, fee, marketplace.connect(stranger)), 'NotOwner', [stranger.address]);
  await expectRevert(reg({}, fee, undefined, strangers), 'NotOwner', [sellerWallet.address]);
  await expectRevert(reg({}, fee - 1n), 'WrongFee', [fee, fee - 1n]);
  await expectRevert(reg({}, fee + 1n), 'WrongFee', [fee, fee + 1n]);
  await expectRevert(reg({ sensorType: 4 }), 'UnknownSensorType', [4n]);
  await expectRevert(reg({ latitudeE6: 90_000_001 }), 'InvalidCoordinates', [90_000_001n, BigInt(spec.longitudeE6)]);
  await expectRevert(reg({ latitudeE6: -90_000_001 }), 'InvalidCoordinates', [-90_000_001n, BigInt(spec.longitudeE6)]);
  await expectRevert(reg({ longitudeE6: 180_000_001 }), 'InvalidCoordinates', [BigInt(spec.latitudeE6), 180_000_001n]);
  await expectRevert(reg({ longitudeE6: -180_000_001 }), 'InvalidCoordinates', [
    BigInt(spec.latitudeE6),
    -180_000_001n,
  ]);
  // The edges are on the globe, and a type the owner added is accepted.
  await registerSensor(principal, { ...spec, latitudeE6: -90_000_000, longitudeE6: 180_000_000 });
  await mined(marketplace.addSensorType('Noise'));
  await registerSensor(principal, { ...spec, sensorType: 4 });
  assert.is(await principal.sensorCount(), 2n);
});

test('the seller activates and deactivates; nobody else can; each change is a marketplace event', async () => {
  const { address, principal } = await seller();
  const { sensor, address: s } = await registerSensor(principal, spec);
  const stranger = await fundedWallet(provider);
  await expectRevert(sensor.connect(stranger).activate(), 'NotOwner', [stranger.address]);
  await expectRevert(sensor.deactivate(), 'StatusUnchanged', [BigInt(SensorStatusCode.Inactive)]);
  const r1 = await mined(sensor.activate());
  assert.is(await sensor.status(), BigInt(SensorStatusCode.Active));
  await expectRevert(sensor.activate(), 'StatusUnchanged', [BigInt(SensorStatusCode.Active)]);
  await expectRevert(sensor.connect(stranger).deactivate(), 'NotOwner', [stranger.address]);
  const r2 = await mined(sensor.deactivate());
  assert.is(await sensor.status(), BigInt(SensorStatusCode.Inactive));
  assert.equal(
    [...r1.logs, ...r2.logs].map((l) => l.address),
    [address, address],
  );
  const evs = (await readMarketplaceEvents(provider, address)).slice(-2).map((e) => ({ name: e.name, args: e.args }));
  assert.equal(evs, [
    { name: 'SensorStatusChanged', args: { sensor: s, status: 1n } },
    { name: 'SensorStatusChanged', args: { sensor: s, status: 0n } },
  ]);
});

test('the owner blocks and unblocks; a blocked sensor cannot be reactivated; unblocked it is Inactive', async () => {
  const { marketplace, address, principal, sellerWallet } = await seller();
  const { sensor, address: s } = await registerSensor(principal, spec);
  await mined(sensor.activate());
  await expectRevert(marketplace.connect(sellerWallet).blockSensor(s), 'NotOwner', [sellerWallet.address]);
  await expectRevert(marketplace.blockSensor(Wallet.createRandom().address), 'UnknownSensor');
  await expectRevert(marketplace.blockSensor(await principal.getAddress()), 'UnknownSensor');
  await mined(marketplace.blockSensor(s));
  assert.is(await sensor.status(), BigInt(SensorStatusCode.Blocked));
  await expectRevert(marketplace.blockSensor(s), 'StatusUnchanged', [BigInt(SensorStatusCode.Blocked)]);
  await expectRevert(sensor.activate(), 'SensorBlocked');
  await expectRevert(sensor.deactivate(), 'SensorBlocked');
  await mined(marketplace.unblockSensor(s));
  assert.is(await sensor.status(), BigInt(SensorStatusCode.Inactive));
  await expectRevert(marketplace.unblockSensor(s), 'StatusUnchanged', [BigInt(SensorStatusCode.Inactive)]);
  await mined(sensor.activate());
  const evs = (await readMarketplaceEvents(provider, address))
    .filter((e) => e.name === 'SensorStatusChanged')
    .map((e) => e.args);
  assert.equal(
    evs,
    [1n, 2n, 0n, 1n].map((status) => ({ sensor: s, status })),
  );
});

test('a sensor keeps no state: its getters read what the marketplace holds, and it takes no ether', async () => {
  const { marketplace, principal, sellerWallet } = await seller();
  const { sensor, address: s } = await registerSensor(principal, spec);
  assert.is(await provider.getStorage(s, 0), '0x' + '0'.repeat(64));
  await mined(sensor.setPricePerDataEntry(7n));
  await mined(sensor.activate());
  assert.is(await provider.getStorage(s, 0), '0x' + '0'.repeat(64), 'no storage of its own');
  const info = await marketplace.sensorInfo(s);
  assert.equal([info.pricePerDataEntry, info.status, info.subscriptionCount], [7n, 1n, 0n]);
  assert.equal([await sensor.pricePerDataEntry(), await sensor.status()], [7n, 1n]);
  let failed = false;
  await sellerWallet
    .sendTransaction({ to: s, value: 1n })
    .then((tx) => mined(tx))
    .catch(() => (failed = true));
  assert.ok(failed, 'a plain transfer to the sensor went through');
});

test('the seller changes the price; nobody else can; SensorPriceChanged', async () => {
  const { address, principal } = await seller();
  const { sensor, address: s } = await registerSensor(principal, spec);
  const stranger = await fundedWallet(provider);
  await expectRevert(sensor.connect(stranger).setPricePerDataEntry(1), 'NotOwner', [stranger.address]);
  await mined(sensor.setPricePerDataEntry(123n));
  assert.is(await attachSensor(s, provider).pricePerDataEntry(), 123n);
  const ev = (await readMarketplaceEvents(provider, address)).at(-1)!;
  assert.equal(
    { name: ev.name, args: ev.args },
    { name: 'SensorPriceChanged', args: { sensor: s, pricePerDataEntry: 123n } },
  );
});

test.after(() => provider.destroy());
test.run();
