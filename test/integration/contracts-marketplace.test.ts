// DataMarketplace against the test stack's anvil: principal registration, the registry, owner
// settings, sensor types, fees and ownership. Every revert is asserted by its custom error.
import { Wallet, ZeroAddress, parseEther } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BUILTIN_SENSOR_TYPES,
  attachPrincipal,
  deployMarketplace,
  mined,
  readMarketplaceEvents,
  registerPrincipal,
  type MarketplaceContract,
} from '../../contracts/client.ts';
import { readPrincipalKey, rsaKeyHash } from '../../contracts/keys.ts';
import {
  DEFAULT_PARAMS,
  SAMPLE_RSA_KEY,
  chainProvider,
  expectRevert,
  feeOf,
  fundedWallet,
  newMarketplace,
} from '../helpers/chain.ts';

const provider = chainProvider();
const details = {
  name: 'Zurich Weather',
  url: 'https://weather.example.org',
  email: 'ops@weather.example.org',
  rsaPublicKey: SAMPLE_RSA_KEY,
};
const fee = DEFAULT_PARAMS.dspRegistrationPrice;

test('a fresh marketplace: owner, prices, commission, the four built-in sensor types, no principals', async () => {
  const { owner, marketplace } = await newMarketplace(provider);
  assert.is(await marketplace.owner(), owner.address);
  assert.is(await marketplace.dspRegistrationPrice(), fee);
  assert.is(await marketplace.sensorRegistrationPrice(), DEFAULT_PARAMS.sensorRegistrationPrice);
  assert.is(await marketplace.commissionBps(), 500n);
  assert.is(await marketplace.sensorTypeCount(), 4n);
  for (const [i, name] of BUILTIN_SENSOR_TYPES.entries()) assert.is(await marketplace.sensorTypeName(i), name);
  await expectRevert(marketplace.sensorTypeName(4), 'UnknownSensorType', [4n]);
  assert.is(await marketplace.principalCount(), 0n);
  assert.equal([...(await marketplace.principals())], []);
});

test('registerDataStreamPrincipal: one principal per account, with its details, fee to the marketplace', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  const alice = await fundedWallet(provider);
  const before = await provider.getBalance(alice.address);
  const { principal, address: p, receipt } = await registerPrincipal(marketplace.connect(alice), details);
  assert.is(await provider.getBalance(alice.address), before - fee - feeOf(receipt));
  assert.is(await provider.getBalance(address), fee);
  assert.is(await marketplace.feesAccrued(), fee);
  assert.is(await principal.owner(), alice.address);
  assert.is(await principal.marketplace(), address);
  assert.equal(
    [await principal.name(), await principal.url(), await principal.email()],
    [details.name, details.url, details.email],
  );
  assert.is(await principal.rsaPublicKeyHash(), rsaKeyHash(details.rsaPublicKey));
  assert.is(await principal.rsaPublicKeyBlock(), BigInt(receipt.blockNumber));
  assert.is(await readPrincipalKey(provider, address, p), details.rsaPublicKey);
  assert.is(await marketplace.principalOf(alice.address), p);
  assert.is(await marketplace.principalOf(Wallet.createRandom().address), ZeroAddress);
  assert.ok(await marketplace.isPrincipal(p));
  assert.not.ok(await marketplace.isSensor(p));
  assert.not.ok(await marketplace.isSubscription(p));
  assert.not.ok(await marketplace.isPrincipal(alice.address));
  assert.is(await marketplace.principalCount(), 1n);
  assert.is(await marketplace.principalAt(0), p);
  assert.equal([...(await marketplace.principals())], [p]);
  const events = (await readMarketplaceEvents(provider, address)).filter(
    (e) => e.name === 'PrincipalRegistered' || e.name === 'PrincipalKeyUpdated',
  );
  assert.equal(
    events.map((e) => e.args),
    [
      { principal: p, owner: alice.address, name: details.name },
      { principal: p, keyHash: rsaKeyHash(details.rsaPublicKey), rsaPublicKey: details.rsaPublicKey },
    ],
  );
});

test(
  'registerDataStreamPrincipal reverts: wrong fee either way, ' +
    'second registration, empty name or key, a field over 255 bytes',
  async () => {
    const { marketplace } = await newMarketplace(provider);
    const bob = await fundedWallet(provider);
    const m = marketplace.connect(bob);
    await expectRevert(m.registerDataStreamPrincipal('b', '', '', 'k', { value: fee - 1n }), 'WrongFee', [
      fee,
      fee - 1n,
    ]);
    await expectRevert(m.registerDataStreamPrincipal('b', '', '', 'k', { value: fee + 1n }), 'WrongFee', [
      fee,
      fee + 1n,
    ]);
    await expectRevert(m.registerDataStreamPrincipal('b', '', '', 'k'), 'WrongFee', [fee, 0n]);
    await expectRevert(m.registerDataStreamPrincipal('', '', '', 'k', { value: fee }), 'EmptyField', ['name']);
    await expectRevert(m.registerDataStreamPrincipal('b', '', '', '', { value: fee }), 'EmptyField', ['rsaPublicKey']);
    const long = 'x'.repeat(256);
    await expectRevert(m.registerDataStreamPrincipal(long, '', '', 'k', { value: fee }), 'FieldTooLong', [
      'name',
      255n,
    ]);
    await expectRevert(m.registerDataStreamPrincipal('b', long, '', 'k', { value: fee }), 'FieldTooLong', [
      'url',
      255n,
    ]);
    await expectRevert(m.registerDataStreamPrincipal('b', '', long, 'k', { value: fee }), 'FieldTooLong', [
      'email',
      255n,
    ]);
    const { address: p } = await registerPrincipal(m, details);
    await expectRevert(m.registerDataStreamPrincipal('again', '', '', 'k', { value: fee }), 'AlreadyRegistered', [
      bob.address,
      p,
    ]);
    assert.is(await marketplace.principalCount(), 1n);
  },
);

test('principal owner updates the RSA key; nobody else can; the marketplace emits PrincipalKeyUpdated', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  const carol = await fundedWallet(provider);
  const { principal, address: p } = await registerPrincipal(marketplace.connect(carol), details);
  const mallory = await fundedWallet(provider);
  await expectRevert(principal.connect(mallory).setRsaPublicKey('evil'), 'NotOwner', [mallory.address]);
  await expectRevert(principal.setRsaPublicKey(''), 'EmptyField', ['rsaPublicKey']);
  const receipt = await mined(principal.setRsaPublicKey('new-key'));
  assert.is(await attachPrincipal(p, provider).rsaPublicKeyHash(), rsaKeyHash('new-key'));
  assert.is(await attachPrincipal(p, provider).rsaPublicKeyBlock(), BigInt(receipt.blockNumber));
  assert.is(await readPrincipalKey(provider, address, p), 'new-key');
  assert.equal(
    receipt.logs.map((l) => l.address),
    [address],
  );
  const last = (await readMarketplaceEvents(provider, address)).at(-1)!;
  assert.equal(
    { name: last.name, args: last.args },
    { name: 'PrincipalKeyUpdated', args: { principal: p, keyHash: rsaKeyHash('new-key'), rsaPublicKey: 'new-key' } },
  );
});

async function ownerOnly(marketplace: MarketplaceContract, stranger: Wallet): Promise<void> {
  const m = marketplace.connect(stranger);
  const calls: [string, Promise<unknown>][] = [
    ['setDspRegistrationPrice', m.setDspRegistrationPrice(1)],
    ['setSensorRegistrationPrice', m.setSensorRegistrationPrice(1)],
    ['setCommissionBps', m.setCommissionBps(1)],
    ['addSensorType', m.addSensorType('Noise')],
    ['blockSensor', m.blockSensor(stranger.address)],
    ['unblockSensor', m.unblockSensor(stranger.address)],
    ['withdrawFees', m.withdrawFees(stranger.address)],
    ['transferOwnership', m.transferOwnership(stranger.address)],
  ];
  for (const [, call] of calls) await expectRevert(call, 'NotOwner', [stranger.address]);
}

test('every owner-only function refuses a stranger with NotOwner', async () => {
  const { marketplace } = await newMarketplace(provider);
  await ownerOnly(marketplace, await fundedWallet(provider));
});

test('owner setters: prices, commission (at most 10000 bps), sensor types; each emits its event', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  await mined(marketplace.setDspRegistrationPrice(parseEther('0.02')));
  await mined(marketplace.setSensorRegistrationPrice(0));
  await mined(marketplace.setCommissionBps(10_000));
  await expectRevert(marketplace.setCommissionBps(10_001), 'InvalidCommission', [10_001n]);
  // Prices are kept in 128 bits (more wei than exist).
  await expectRevert(marketplace.setDspRegistrationPrice(1n << 128n), 'AmountTooLarge', [1n << 128n]);
  await mined(marketplace.addSensorType('Noise'));
  await expectRevert(marketplace.addSensorType(''), 'EmptyField', ['name']);
  assert.is(await marketplace.dspRegistrationPrice(), parseEther('0.02'));
  assert.is(await marketplace.sensorRegistrationPrice(), 0n);
  assert.is(await marketplace.commissionBps(), 10_000n);
  assert.is(await marketplace.sensorTypeCount(), 5n);
  assert.is(await marketplace.sensorTypeName(4), 'Noise');
  const tail = (await readMarketplaceEvents(provider, address)).slice(-4).map((e) => ({ name: e.name, args: e.args }));
  assert.equal(tail, [
    {
      name: 'PricesChanged',
      args: {
        dspRegistrationPrice: parseEther('0.02'),
        sensorRegistrationPrice: DEFAULT_PARAMS.sensorRegistrationPrice,
      },
    },
    { name: 'PricesChanged', args: { dspRegistrationPrice: parseEther('0.02'), sensorRegistrationPrice: 0n } },
    { name: 'CommissionChanged', args: { commissionBps: 10_000n } },
    { name: 'SensorTypeAdded', args: { sensorType: 4n, name: 'Noise' } },
  ]);
  // The new price applies at once.
  const dave = await fundedWallet(provider);
  await expectRevert(
    marketplace.connect(dave).registerDataStreamPrincipal('d', '', '', 'k', { value: fee }),
    'WrongFee',
    [parseEther('0.02'), fee],
  );
});

test('a commission above 10000 bps is refused at deployment too', async () => {
  const deployer = await fundedWallet(provider);
  await expectRevert(deployMarketplace(deployer, { ...DEFAULT_PARAMS, commissionBps: 10_001 }), 'InvalidCommission', [
    10_001n,
  ]);
});

test('sensor type ids are uint16: the 65536th type is refused (TooManySensorTypes)', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  // Slot 2 is MarketplaceState's Config: sensorTypeCount is its bits 144..159; it reads 4 before we touch it.
  const slot = '0x2';
  const config = BigInt(await provider.getStorage(address, slot));
  assert.is((config >> 144n) & 0xffffn, 4n);
  const patched = (config & ~(0xffffn << 144n)) | (65_534n << 144n);
  await provider.send('anvil_setStorageAt', [address, slot, '0x' + patched.toString(16).padStart(64, '0')]);
  await mined(marketplace.addSensorType('Last'));
  assert.is(await marketplace.sensorTypeCount(), 65_535n);
  assert.is(await marketplace.sensorTypeName(65_534), 'Last');
  await expectRevert(marketplace.addSensorType('One too many'), 'TooManySensorTypes');
});

test('withdrawFees: the owner takes exactly the fees accrued, to any address; then nothing is left', async () => {
  const { owner, marketplace, address } = await newMarketplace(provider);
  for (let i = 0; i < 3; i++) await registerPrincipal(marketplace.connect(await fundedWallet(provider)), details);
  const to = Wallet.createRandom().address;
  await expectRevert(marketplace.withdrawFees(ZeroAddress), 'ZeroAddress');
  const receipt = await mined(marketplace.withdrawFees(to));
  assert.is(await provider.getBalance(to), 3n * fee);
  assert.is(await provider.getBalance(address), 0n);
  assert.is(await marketplace.feesAccrued(), 0n);
  assert.equal(receipt.logs.length, 1);
  await expectRevert(marketplace.withdrawFees(to), 'NothingToWithdraw', [owner.address]);
  const last = (await readMarketplaceEvents(provider, address)).at(-1)!;
  assert.equal({ name: last.name, args: last.args }, { name: 'FeesWithdrawn', args: { to, amount: 3n * fee } });
});

test('ownership moves in two steps: only the named account can accept', async () => {
  const { owner, marketplace } = await newMarketplace(provider);
  const next = await fundedWallet(provider);
  const other = await fundedWallet(provider);
  await mined(marketplace.transferOwnership(next.address));
  assert.is(await marketplace.owner(), owner.address);
  assert.is(await marketplace.pendingOwner(), next.address);
  await expectRevert(marketplace.connect(other).acceptOwnership(), 'NotPendingOwner', [other.address]);
  await mined(marketplace.connect(next).acceptOwnership());
  assert.is(await marketplace.owner(), next.address);
  assert.is(await marketplace.pendingOwner(), ZeroAddress);
  await expectRevert(marketplace.setCommissionBps(1), 'NotOwner', [owner.address]);
  await mined(marketplace.connect(next).setCommissionBps(1));
});

test('ether sent straight to the marketplace or a principal is refused (nothing can get stuck)', async () => {
  const { marketplace, address } = await newMarketplace(provider);
  const eve = await fundedWallet(provider);
  const { address: p } = await registerPrincipal(marketplace.connect(eve), details);
  for (const to of [address, p]) {
    let failed = false;
    await eve
      .sendTransaction({ to, value: 1n })
      .then((tx) => mined(tx))
      .catch(() => (failed = true));
    assert.ok(failed, `a plain transfer to ${to} went through`);
  }
});

test.after(() => provider.destroy());
test.run();
