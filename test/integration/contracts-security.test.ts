// Attacks on the marketplace against the test stack's anvil: re-entering withdraw, refusing
// payments, and calling the marketplace's entity hooks from outside, from the wrong kind of
// entity, or for a caller who does not own the entity. (Forged and replayed entities:
// contracts-clones.test.ts.)
import { ContractFactory, Wallet, id, parseEther, type JsonRpcSigner } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  attachSensor,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
  type MarketplaceContract,
} from '../../contracts/client.ts';
import { compileSolidity, pick } from '../../contracts/compile.ts';
import { DEFAULT_PARAMS, chainProvider, expectRevert, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();
const actorArtifact = pick(compileSolidity(['test/contracts/fixtures/Actor.sol']), 'Actor');
const OnReceive = { Accept: 0, Reject: 1, ReenterWithdraw: 2, ReenterWithdrawCatch: 3 } as const;
const price = 1_000n;

/** A marketplace where the Actor contract sells one active sensor, and an EOA buyer. */
async function market() {
  const { marketplace, address, owner } = await newMarketplace(provider);
  const deployer = await fundedWallet(provider);
  const actor = (await new ContractFactory(actorArtifact.abi, actorArtifact.bytecode, deployer).deploy(
    address,
  )) as unknown as ActorContract;
  await actor.waitForDeployment();
  await mined(actor.register({ value: DEFAULT_PARAMS.dspRegistrationPrice }));
  const sensorAddress = await actor.registerActiveSensor.staticCall(price, {
    value: DEFAULT_PARAMS.sensorRegistrationPrice,
  });
  await mined(actor.registerActiveSensor(price, { value: DEFAULT_PARAMS.sensorRegistrationPrice }));
  const buyer = await fundedWallet(provider);
  const { address: b } = await registerPrincipal(marketplace.connect(buyer), {
    name: 'b',
    url: '',
    email: '',
    rsaPublicKey: 'k',
  });
  return {
    marketplace,
    address,
    owner,
    actor,
    actorAddress: await actor.getAddress(),
    sensor: attachSensor(sensorAddress, buyer),
    buyer,
    b,
  };
}

type Tx = Promise<import('ethers').ContractTransactionResponse>;
interface ActorContract {
  waitForDeployment(): Promise<unknown>;
  getAddress(): Promise<string>;
  register(o: { value: bigint }): Tx;
  registerActiveSensor: ((price: bigint, o: { value: bigint }) => Tx) & {
    staticCall(price: bigint, o: { value: bigint }): Promise<string>;
  };
  subscribe(sensor: string, entries: bigint, o: { value: bigint }): Tx;
  setOnReceive(mode: number): Tx;
  withdraw(): Tx;
  withdrawTo(to: string): Tx;
  receivedCount(): Promise<bigint>;
  receivedTotal(): Promise<bigint>;
  innerRevert(): Promise<string>;
  principal(): Promise<string>;
}

test('re-entering withdraw from receive(): the inner call fails (ReentrantCall), the seller is paid once', async () => {
  const m = await market();
  await subscribe(m.sensor, m.b, { startTimestamp: 0, dataEntries: 10 });
  const share = 10n * price - (10n * price * 500n) / 10_000n;
  const held = await provider.getBalance(m.address);
  await mined(m.actor.setOnReceive(OnReceive.ReenterWithdrawCatch));
  await mined(m.actor.withdraw());
  assert.is(await m.actor.receivedCount(), 1n);
  assert.is(await m.actor.receivedTotal(), share);
  assert.is(await m.actor.innerRevert(), id('ReentrantCall()').slice(0, 10));
  assert.is(await provider.getBalance(m.address), held - share);
  assert.is(await m.marketplace.pendingWithdrawal(m.actorAddress), 0n);
});

test('re-entering withdraw without catching: the whole withdrawal reverts and the balance stays owed', async () => {
  const m = await market();
  await subscribe(m.sensor, m.b, { startTimestamp: 0, dataEntries: 10 });
  const owed = await m.marketplace.pendingWithdrawal(m.actorAddress);
  const held = await provider.getBalance(m.address);
  await mined(m.actor.setOnReceive(OnReceive.ReenterWithdraw));
  await expectRevert(m.actor.withdraw(), 'TransferFailed', [m.actorAddress, owed]);
  assert.is(await m.marketplace.pendingWithdrawal(m.actorAddress), owed);
  assert.is(await provider.getBalance(m.address), held);
});

test('a seller that refuses ether keeps its balance and can withdraw to another address', async () => {
  const m = await market();
  await subscribe(m.sensor, m.b, { startTimestamp: 0, dataEntries: 4 });
  const owed = await m.marketplace.pendingWithdrawal(m.actorAddress);
  await mined(m.actor.setOnReceive(OnReceive.Reject));
  await expectRevert(m.actor.withdraw(), 'TransferFailed', [m.actorAddress, owed]);
  const to = Wallet.createRandom().address;
  await mined(m.actor.withdrawTo(to));
  assert.is(await provider.getBalance(to), owed);
});

test('a buyer that refuses its refund cannot overpay (TransferFailed), but can pay the exact cost', async () => {
  const m = await market();
  const seller = await fundedWallet(provider);
  const { principal } = await registerPrincipal(m.marketplace.connect(seller), {
    name: 's',
    url: '',
    email: '',
    rsaPublicKey: 'k',
  });
  const { sensor, address: s } = await registerSensor(principal, {
    sensorType: 0,
    latitudeE6: 0,
    longitudeE6: 0,
    pricePerDataEntry: price,
  });
  await mined(sensor.activate());
  await mined(m.actor.setOnReceive(OnReceive.Reject));
  await expectRevert(m.actor.subscribe(s, 2n, { value: 2n * price + 1n }), 'TransferFailed', [m.actorAddress, 1n]);
  await mined(m.actor.subscribe(s, 2n, { value: 2n * price }));
  assert.is(await sensor.subscriptionCount(), 1n);
});

async function impersonate(address: string): Promise<JsonRpcSigner> {
  await provider.send('anvil_impersonateAccount', [address]);
  await provider.send('anvil_setBalance', [address, '0x' + parseEther('1').toString(16)]);
  return provider.getSigner(address);
}

test(
  'the marketplace hooks refuse outsiders (NotEntity), entities ' +
    'of the wrong kind, and callers who do not own the entity',
  async () => {
    const m = await market();
    const stranger = await fundedWallet(provider);
    // Thunks: each call starts only when awaited.
    const hooks = (mk: MarketplaceContract, caller: string) => ({
      entitySetSensorActive: () => mk.entitySetSensorActive(caller, true),
      entitySetSensorPrice: () => mk.entitySetSensorPrice(caller, 1),
      entitySetPrincipalKey: () => mk.entitySetPrincipalKey('evil'),
    });
    for (const call of Object.values(hooks(m.marketplace.connect(stranger), stranger.address)))
      await expectRevert(call(), 'NotEntity', [stranger.address]);
    // A principal may only set its key; a sensor only its status and price.
    const asPrincipal = hooks(m.marketplace.connect(await impersonate(m.b)), m.b);
    for (const call of [asPrincipal.entitySetSensorActive, asPrincipal.entitySetSensorPrice])
      await expectRevert(call(), 'NotEntity', [m.b]);
    const s = await m.sensor.getAddress();
    const asSensor = hooks(m.marketplace.connect(await impersonate(s)), stranger.address);
    await expectRevert(asSensor.entitySetPrincipalKey(), 'NotEntity', [s]);
    // A genuine sensor forwarding a caller that does not own it: what sensor.activate() by a stranger does.
    for (const call of [asSensor.entitySetSensorActive, asSensor.entitySetSensorPrice])
      await expectRevert(call(), 'NotOwner', [stranger.address]);
    for (const a of [m.b, s]) await provider.send('anvil_stopImpersonatingAccount', [a]);
    assert.is((await m.marketplace.sensorInfo(s)).pricePerDataEntry, price, 'nothing changed');
  },
);

test.after(() => provider.destroy());
test.run();
