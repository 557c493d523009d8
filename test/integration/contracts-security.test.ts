// Attacks on the marketplace against the test stack's anvil: re-entering withdraw, refusing
// payments, initialising implementations or clones, calling the marketplace's entity hooks from
// outside or from the wrong kind of entity, and passing a stranger's clone off as genuine.
import { ContractFactory, Wallet, id, parseEther, type JsonRpcSigner } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  attachPrincipal,
  attachSensor,
  attachSubscription,
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

async function entities(m: Awaited<ReturnType<typeof market>>) {
  const { subscription } = await subscribe(m.sensor, m.b, { startTimestamp: 0, dataEntries: 1 });
  const mk = m.marketplace;
  return {
    principal: [await mk.principalImplementation(), m.b],
    sensor: [await mk.sensorImplementation(), await m.sensor.getAddress()],
    subscription: [await mk.subscriptionImplementation(), await subscription.getAddress()],
  };
}

test('nobody but the marketplace initialises an implementation or a clone; a clone only once', async () => {
  const m = await market();
  const e = await entities(m);
  const stranger = await fundedWallet(provider);
  const inits = (signer: Wallet | JsonRpcSigner, [p, s, sub]: string[]) => [
    () => attachPrincipal(p!, signer).initialize(stranger.address, 'x', '', '', 'k'),
    () => attachSensor(s!, signer).initialize(stranger.address, stranger.address, 0, 0, 0, 1),
    () => attachSubscription(sub!, signer).initialize(stranger.address, stranger.address, 0, 1, 0),
  ];
  const impls = [e.principal[0]!, e.sensor[0]!, e.subscription[0]!];
  const clones = [e.principal[1]!, e.sensor[1]!, e.subscription[1]!];
  for (const call of [...inits(stranger, impls), ...inits(stranger, clones)])
    await expectRevert(call(), 'NotMarketplace', [stranger.address]);
  // Even the marketplace's own address cannot initialise a clone a second time.
  for (const call of inits(await impersonate(m.address), clones)) await expectRevert(call(), 'AlreadyInitialized');
  await provider.send('anvil_stopImpersonatingAccount', [m.address]);
  assert.is(await attachPrincipal(m.b, provider).name(), 'b');
});

test('each entity is a 45-byte EIP-1167 clone of its implementation; implementations are not entities', async () => {
  const m = await market();
  const e = await entities(m);
  for (const [impl, clone] of Object.values(e)) {
    const code = await provider.getCode(clone!);
    assert.is(code, `0x363d3d373d3d3d363d73${impl!.slice(2).toLowerCase()}5af43d82803e903d91602b57fd5bf3`);
    assert.ok((await provider.getCode(impl!)).length > 1000);
  }
  const mk = m.marketplace;
  for (const [impl] of Object.values(e))
    assert.equal(
      [await mk.isPrincipal(impl!), await mk.isSensor(impl!), await mk.isSubscription(impl!)],
      [false, false, false],
    );
});

test('the marketplace hooks refuse outsiders (NotEntity) and entities of the wrong kind', async () => {
  const m = await market();
  const e = await entities(m);
  const stranger = await fundedWallet(provider);
  // Thunks: each call starts only when awaited.
  const hooks = (mk: MarketplaceContract, a: string) => ({
    createSensor: () => mk.createSensor(a, 0, 0, 0, 1, { value: DEFAULT_PARAMS.sensorRegistrationPrice }),
    createSubscription: () => mk.createSubscription(a, m.b, a, 0, 1),
    notifySensorStatus: () => mk.notifySensorStatus(1),
    notifySensorPrice: () => mk.notifySensorPrice(1),
    notifyPrincipalKey: () => mk.notifyPrincipalKey(),
  });
  for (const call of Object.values(hooks(m.marketplace.connect(stranger), stranger.address)))
    await expectRevert(call(), 'NotEntity', [stranger.address]);
  // A principal may only create sensors and report its key; a sensor only the rest.
  const p = e.principal[1]!;
  const asPrincipal = hooks(m.marketplace.connect(await impersonate(p)), p);
  for (const call of [asPrincipal.createSubscription, asPrincipal.notifySensorStatus, asPrincipal.notifySensorPrice])
    await expectRevert(call(), 'NotEntity', [p]);
  const s = e.sensor[1]!;
  const asSensor = hooks(m.marketplace.connect(await impersonate(s)), s);
  for (const call of [asSensor.createSensor, asSensor.notifyPrincipalKey]) await expectRevert(call(), 'NotEntity', [s]);
  for (const a of [e.principal[1]!, e.sensor[1]!]) await provider.send('anvil_stopImpersonatingAccount', [a]);
});

test("a stranger's own clone of the sensor implementation is not a sensor of this marketplace", async () => {
  const m = await market();
  const impl = await m.marketplace.sensorImplementation();
  const stranger = await fundedWallet(provider);
  // EIP-1167 creation code: 3d602d80600a3d3981f3 + runtime.
  const creation = `0x3d602d80600a3d3981f3363d3d373d3d3d363d73${impl.slice(2)}5af43d82803e903d91602b57fd5bf3`;
  const receipt = await (await stranger.sendTransaction({ data: creation })).wait();
  const fake = receipt!.contractAddress!;
  assert.is((await provider.getCode(fake)).length, 2 + 90);
  assert.not.ok(await m.marketplace.isSensor(fake));
  await expectRevert(m.marketplace.blockSensor(fake), 'UnknownSensor', [fake]);
  await expectRevert(
    attachSensor(fake, stranger).initialize(stranger.address, stranger.address, 0, 0, 0, 1),
    'NotMarketplace',
    [stranger.address],
  );
  await expectRevert(attachSensor(fake, stranger).activate(), 'NotOwner', [stranger.address]);
});

test.after(() => provider.destroy());
test.run();
