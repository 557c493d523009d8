// contracts/client.ts and contracts/typed.ts without a chain: typed contracts bind the right
// ABI functions, marketplace logs and errors decode into typed values, and the compiler rejects
// wrong calls (the @ts-expect-error lines fail `npm test`'s type-check if a call were accepted).
import { Wallet, type Log } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  attachMarketplace,
  attachSensor,
  decodeMarketplaceError,
  marketplaceInterface,
  parseMarketplaceLogs,
  sensorStatusOf,
  type MarketplaceContract,
  type MarketplaceEvent,
  type SensorContract,
} from '../../contracts/client.ts';

const address = Wallet.createRandom().address;

test('attached contracts expose the ABI functions with their full signatures', () => {
  const m = attachMarketplace(address, null);
  assert.is(
    m.registerDataStreamPrincipal.fragment.format(),
    'registerDataStreamPrincipal(string,string,string,string)',
  );
  assert.is(m.registerDataStreamPrincipal.fragment.payable, true);
  assert.is(m.subscribe.fragment.format(), 'subscribe(address,address,uint64,uint64)');
  assert.is(m.sensorInfo.fragment.format(), 'sensorInfo(address)');
  const s = attachSensor(address, null);
  assert.is(s.status.fragment.constant, true);
});

function log(name: string, args: unknown[], from = address): Log {
  const { data, topics } = marketplaceInterface.encodeEventLog(name, args);
  return {
    address: from,
    data,
    topics,
    blockNumber: 7,
    transactionHash: '0x' + '11'.repeat(32),
    index: 3,
  } as unknown as Log;
}

test("parseMarketplaceLogs: named, typed arguments and log position; other contracts' logs skipped", () => {
  const [sub, sensor, buyer] = [
    Wallet.createRandom().address,
    Wallet.createRandom().address,
    Wallet.createRandom().address,
  ];
  const logs = [
    log('Subscribed', [sub, sensor, buyer, 1_700_000_000n, 10n, 12345n]),
    log('CommissionChanged', [250], Wallet.createRandom().address),
  ];
  const events = parseMarketplaceLogs(logs, address.toLowerCase());
  assert.is(events.length, 1);
  const e = events[0]!;
  assert.is(e.name, 'Subscribed');
  if (e.name !== 'Subscribed') return;
  assert.equal(e.args, {
    subscription: sub,
    sensor,
    buyer,
    startTimestamp: 1_700_000_000n,
    dataEntries: 10n,
    paid: 12345n,
  });
  assert.equal([e.address, e.blockNumber, e.logIndex], [address, 7, 3]);
  // Without a marketplace address every decodable log is taken.
  assert.equal(
    parseMarketplaceLogs(logs).map((x) => x.name),
    ['Subscribed', 'CommissionChanged'],
  );
});

test("decodeMarketplaceError: from ethers' revert, from raw revert data, or undefined", () => {
  const data = marketplaceInterface.encodeErrorResult('WrongFee', [10n, 9n]);
  assert.equal(decodeMarketplaceError({ data }), { name: 'WrongFee', args: [10n, 9n] });
  assert.equal(decodeMarketplaceError({ info: { error: { data } } }), { name: 'WrongFee', args: [10n, 9n] });
  assert.equal(decodeMarketplaceError({ revert: { name: 'ZeroDataEntries', args: [] } }), {
    name: 'ZeroDataEntries',
    args: [],
  });
  assert.is(decodeMarketplaceError({ data: '0xdeadbeef' }), undefined);
  assert.is(decodeMarketplaceError(new Error('network down')), undefined);
  assert.is(decodeMarketplaceError(undefined), undefined);
});

test('sensorStatusOf names the on-chain codes as interfaces/layers.ts does', () => {
  assert.equal([0n, 1n, 2n].map(sensorStatusOf), ['inactive', 'active', 'blocked']);
  assert.throws(() => sensorStatusOf(3), /not a sensor status: 3/);
});

// Never called: the type-checker is the test. Each @ts-expect-error must find an error.
export async function typeChecks(m: MarketplaceContract, s: SensorContract, e: MarketplaceEvent): Promise<unknown[]> {
  const fee: bigint = await m.dspRegistrationPrice();
  const list: string[] = await m.principals();
  const tx = await m.registerDataStreamPrincipal('n', 'u', 'e', 'k', { value: fee });
  const status: bigint = await s.status();
  // Structs come back with their fields typed by name.
  const info = await m.sensorInfo('0x0');
  const price: bigint = info.pricePerDataEntry;
  const grants = await m.validSubscriptions('0x0', '0x0');
  const entries: bigint = grants[0]!.dataEntries;
  // @ts-expect-error SensorView has no `seller`
  const seller: string = info.seller;
  // @ts-expect-error a subscription's buyer is an address (string), not a number
  const buyer: number = grants[0]!.buyer;
  // @ts-expect-error registerDataStreamPrincipal takes four strings
  await m.registerDataStreamPrincipal('n', 'u', 'e');
  // @ts-expect-error setCommissionBps is not payable
  await m.setCommissionBps(5, { value: 1n });
  // @ts-expect-error a uint64 is a number or a bigint, not a string
  await m.subscribe('0x0', '0x0', '5', 1n);
  // @ts-expect-error status() is a bigint
  const wrong: string = await s.status();
  // @ts-expect-error no such function: buyers subscribe on the marketplace
  await s.subscribe('0x0', 0, 1);
  if (e.name === 'Subscribed') {
    const paid: bigint = e.args.paid;
    // @ts-expect-error Subscribed has no `seller`
    return [e.args.seller, paid];
  }
  return [list, tx, status, wrong, price, entries, seller, buyer];
}

test.run();
