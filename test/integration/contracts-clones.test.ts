// How entities are made, against the test stack's anvil (docs/contracts.md, "One address per
// entity"): each is CREATE2 of one constant creation code at the address (kind, index) gives,
// its code an EIP-1167 proxy followed by its immutable fields, read back exactly; nothing can
// initialise, re-create or forge one.
import { getCreate2Address, keccak256, toBeHex, zeroPadValue, type Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataStreamPrincipalAbi, DataStreamSubscriptionAbi, SensorAbi } from '../../contracts/generated/index.ts';
import {
  attachPrincipal,
  attachSensor,
  attachSubscription,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
} from '../../contracts/client.ts';
import { chainProvider, expectRevert, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();
const INITCODE = '0x5f5f5f5f335afa3d5f5f3e6011573d5ffd5b3d5ff3';
const KIND = { principal: 1n, sensor: 2n, subscription: 3n };
const proxy = (impl: string) => `0x363d3d373d3d3d363d73${impl.slice(2).toLowerCase()}5af43d82803e903d91602b57fd5bf3`;
const entityAddress = (marketplace: string, kind: bigint, index: number) =>
  getCreate2Address(marketplace, zeroPadValue(toBeHex((kind << 248n) | BigInt(index)), 32), keccak256(INITCODE));
const hex = (n: bigint | number, bytes: number) =>
  BigInt.asUintN(bytes * 8, BigInt(n))
    .toString(16)
    .padStart(bytes * 2, '0');
/** Deploys `runtime` as it is, from `from` (PUSH2 len DUP1 PUSH1 10 RETURNDATASIZE CODECOPY RETURNDATASIZE RETURN). */
async function deployRaw(from: Wallet, runtime: string): Promise<string> {
  const len = (runtime.length - 2) / 2;
  const receipt = await mined(from.sendTransaction({ data: `0x61${hex(len, 2)}80600a3d393df3${runtime.slice(2)}` }));
  return receipt.contractAddress!;
}

async function world() {
  const m = await newMarketplace(provider);
  const seller = await fundedWallet(provider);
  const buyer = await fundedWallet(provider);
  const s = await registerPrincipal(m.marketplace.connect(seller), {
    name: 'Zürich Wetter ☀',
    url: 'https://w.example.org',
    email: 'ops@w.example.org',
    rsaPublicKey: 'k',
  });
  const b = await registerPrincipal(m.marketplace.connect(buyer), { name: 'b', url: '', email: '', rsaPublicKey: 'k' });
  return { ...m, seller, buyer, s, b };
}

test(
  'each entity is the EIP-1167 proxy to its implementation ' +
    'and its fields, at the CREATE2 address of (kind, index)',
  async () => {
    const w = await world();
    const { sensor, address: s } = await registerSensor(w.s.principal, {
      sensorType: 3,
      latitudeE6: -33_868_820,
      longitudeE6: 151_209_296,
      pricePerDataEntry: 5n,
    });
    await mined(sensor.activate());
    const { address: sub, receipt } = await subscribe(sensor.connect(w.buyer), w.b.address, {
      startTimestamp: 1_700_000_000,
      dataEntries: 9,
    });
    const mk = w.marketplace;
    const [pi, si, ui] = [
      await mk.principalImplementation(),
      await mk.sensorImplementation(),
      await mk.subscriptionImplementation(),
    ];
    assert.equal(
      [w.s.address, w.b.address, s, sub],
      [
        entityAddress(w.address, KIND.principal, 0),
        entityAddress(w.address, KIND.principal, 1),
        entityAddress(w.address, KIND.sensor, 0),
        entityAddress(w.address, KIND.subscription, 0),
      ],
    );
    const name = Buffer.from('Zürich Wetter ☀').toString('hex');
    const fields = [
      w.seller.address.slice(2).toLowerCase(),
      name,
      Buffer.from('https://w.example.org').toString('hex'),
      Buffer.from('ops@w.example.org').toString('hex'),
      hex(name.length / 2, 1),
      hex(21, 1),
      hex(17, 1),
    ].join('');
    assert.is(await provider.getCode(w.s.address), proxy(pi) + fields);
    assert.is(await provider.getCode(s), proxy(si) + hex(3, 2) + hex(-33_868_820, 4) + hex(151_209_296, 4) + hex(0, 4));
    const createdAt = (await provider.getBlock(receipt.blockNumber))!.timestamp;
    const terms =
      hex(0, 4) +
      hex(1, 4) +
      s.slice(2).toLowerCase() +
      hex(1_700_000_000, 8) +
      hex(9, 8) +
      hex(createdAt, 5) +
      hex(5, 16) +
      hex(0, 4);
    assert.is(await provider.getCode(sub), proxy(ui) + terms);
    for (const impl of [pi, si, ui]) {
      assert.equal(
        [await mk.isPrincipal(impl), await mk.isSensor(impl), await mk.isSubscription(impl)],
        [false, false, false],
      );
      assert.ok((await provider.getCode(impl)).length > 1000);
    }
    // No entity keeps storage: every mutable field is the marketplace's.
    for (const a of [w.s.address, s, sub]) assert.is(await provider.getStorage(a, 0), '0x' + '0'.repeat(64));
  },
);

test('immutable fields read back exactly, for many entities and the extremes of every type', async () => {
  const w = await world();
  const long = 'é'.repeat(127) + 'x'; // 255 bytes of UTF-8
  const wide = await registerPrincipal(w.marketplace.connect(await fundedWallet(provider)), {
    name: long,
    url: long,
    email: long,
    rsaPublicKey: 'k',
  });
  assert.equal(
    [await wide.principal.name(), await wide.principal.url(), await wide.principal.email()],
    [long, long, long],
  );
  const specs = Array.from({ length: 12 }, (_, i) => ({
    sensorType: i % 4,
    latitudeE6: [-90_000_000, 90_000_000, 0, -1][i % 4]! + (i % 4 === 0 ? i : -i),
    longitudeE6: [180_000_000, -180_000_000, 1, -1][i % 4]! + (i % 2 === 0 ? -i : i),
    pricePerDataEntry: i === 0 ? 0n : BigInt(i) * 1_000_003n,
  }));
  const sensors = [];
  for (const spec of specs) sensors.push((await registerSensor(w.s.principal, spec)).address);
  for (const [i, s] of sensors.entries()) {
    const c = attachSensor(s, provider);
    assert.equal(
      [
        await c.sensorType(),
        await c.latitudeE6(),
        await c.longitudeE6(),
        await c.pricePerDataEntry(),
        await c.principal(),
        await c.owner(),
      ],
      [
        BigInt(specs[i]!.sensorType),
        BigInt(specs[i]!.latitudeE6),
        BigInt(specs[i]!.longitudeE6),
        specs[i]!.pricePerDataEntry,
        w.s.address,
        w.seller.address,
      ],
    );
    assert.is(await w.marketplace.sensorAt(i), s);
  }
  assert.equal([...(await w.s.principal.sensors())], sensors);
  assert.is(await w.s.principal.sensorAt(11), sensors[11]);
  // Subscriptions: the free sensor takes the largest entry count, the others odd terms.
  const free = attachSensor(sensors[0]!, w.buyer);
  await mined(attachSensor(sensors[0]!, w.seller).activate());
  const max64 = (1n << 64n) - 1n;
  const terms = [
    { startTimestamp: 0n, dataEntries: max64 },
    { startTimestamp: max64, dataEntries: 1n },
    ...Array.from({ length: 8 }, (_, i) => ({
      startTimestamp: BigInt(1_700_000_000 + i * 3600),
      dataEntries: BigInt(2 ** i + i),
    })),
  ];
  const subs = [];
  for (const t of terms) subs.push((await subscribe(free, w.b.address, t)).address);
  for (const [i, a] of subs.entries()) {
    const c = attachSubscription(a, provider);
    assert.equal(
      [
        await c.buyer(),
        await c.sensor(),
        await c.startTimestamp(),
        await c.dataEntries(),
        await c.pricePaid(),
        await c.marketplace(),
      ],
      [w.b.address, sensors[0], terms[i]!.startTimestamp, terms[i]!.dataEntries, 0n, w.address],
    );
    assert.is(await w.marketplace.subscriptionAt(i), a);
    assert.ok(await w.marketplace.isSubscription(a));
  }
  assert.equal(
    (await w.marketplace.subscriptionsOf(w.b.address, sensors[0]!)).map((v) => v.subscription),
    subs,
  );
  // A priced one: pricePaid is price × entries.
  const priced = attachSensor(sensors[5]!, w.seller);
  await mined(priced.activate());
  const { subscription } = await subscribe(priced.connect(w.buyer), w.b.address, {
    startTimestamp: 0,
    dataEntries: 1_000_000,
  });
  assert.is(await subscription.pricePaid(), specs[5]!.pricePerDataEntry * 1_000_000n);
});

test(
  'no initialiser anywhere; the code callback answers nobody ' +
    'outside a creation; an entity cannot be created twice',
  async () => {
    const w = await world();
    for (const abi of [DataStreamPrincipalAbi, SensorAbi, DataStreamSubscriptionAbi]) {
      assert.not.ok(
        abi.some((i) => i.type === 'function' && /^init/i.test(i.name)),
        'an entity has an initialiser',
      );
    }
    // The fallback INITCODE calls: empty calldata outside a creation reverts, and so does ether.
    let refused = false;
    await provider.call({ to: w.address, data: '0x' }).catch(() => (refused = true));
    assert.ok(refused, 'the code callback answered outside a creation');
    // Rewinding the subscription counter (MarketplaceState's Config, slot 2, bits 224..255) makes
    // the next subscription's address one already taken: CREATE2 fails, nothing is overwritten.
    const { sensor } = await registerSensor(w.s.principal, {
      sensorType: 0,
      latitudeE6: 0,
      longitudeE6: 0,
      pricePerDataEntry: 1n,
    });
    await mined(sensor.activate());
    const first = await subscribe(sensor.connect(w.buyer), w.b.address, { startTimestamp: 0, dataEntries: 1 });
    const config = BigInt(await provider.getStorage(w.address, 2));
    assert.is(config >> 224n, 1n);
    await provider.send('anvil_setStorageAt', [w.address, '0x2', toBeHex(config & ((1n << 224n) - 1n), 32)]);
    await expectRevert(
      subscribe(sensor.connect(w.buyer), w.b.address, { startTimestamp: 0, dataEntries: 2 }),
      'CloneFailed',
    );
    assert.is(await first.subscription.dataEntries(), 1n);
    await provider.send('anvil_setStorageAt', [w.address, '0x2', toBeHex(config, 32)]);
    await subscribe(sensor.connect(w.buyer), w.b.address, { startTimestamp: 0, dataEntries: 2 });
  },
);

test('forgeries are not entities: copies of genuine code elsewhere, the implementations themselves', async () => {
  const w = await world();
  const { sensor, address: s } = await registerSensor(w.s.principal, {
    sensorType: 0,
    latitudeE6: 0,
    longitudeE6: 0,
    pricePerDataEntry: 1n,
  });
  await mined(sensor.activate());
  const { address: sub } = await subscribe(sensor.connect(w.buyer), w.b.address, { startTimestamp: 0, dataEntries: 1 });
  const stranger = await fundedWallet(provider, '1');
  const mk = w.marketplace;
  const fakeSub = await deployRaw(stranger, await provider.getCode(sub));
  const fakeSensor = await deployRaw(stranger, await provider.getCode(s));
  const fakePrincipal = await deployRaw(stranger, await provider.getCode(w.s.address));
  assert.is(await provider.getCode(fakeSub), await provider.getCode(sub), 'byte for byte the same code');
  assert.equal(
    [await mk.isSubscription(fakeSub), await mk.isSensor(fakeSensor), await mk.isPrincipal(fakePrincipal)],
    [false, false, false],
  );
  assert.is((await mk.subscriptionInfo(fakeSub)).subscription, '0x' + '0'.repeat(40));
  await expectRevert(mk.blockSensor(fakeSensor), 'UnknownSensor', [fakeSensor]);
  await expectRevert(attachSensor(fakeSensor, w.seller).activate(), 'NotEntity', [fakeSensor]);
  await expectRevert(attachPrincipal(fakePrincipal, w.seller).setRsaPublicKey('evil'), 'NotEntity', [fakePrincipal]);
  const si = await mk.sensorImplementation();
  await expectRevert(attachSensor(si, w.seller).activate(), 'NotEntity', [si]);
  const buyer = mk.connect(w.buyer);
  await expectRevert(buyer.subscribe(fakeSensor, w.b.address, 0, 1, { value: 1n }), 'UnknownSensor', [fakeSensor]);
  assert.is(await sensor.status(), 1n);
});

test.after(() => provider.destroy());
test.run();
