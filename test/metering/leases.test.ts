import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SubscriptionGrant } from '../../interfaces/layers.ts';
import { LeaseBook, RETRY_MS, type HeldEntry, type LeaseMeter as Meter } from '../../metering/leases.ts';
import { paidLimit } from '../../metering/meter.ts';
import { createLogger } from '../../lib/log.ts';
import { FakeClock } from '../helpers/clock.ts';

const log = createLogger({ level: 'silent' });

function grant(dataEntries: number): SubscriptionGrant {
  return { subscription: '0xs', buyer: 'buyer', sensor: 's', startTimestamp: 0, dataEntries };
}

/**
 * The chain's grants and the shared counter, in memory: atomic because JavaScript runs one take
 * at a time. Like RedisMeter, a take measures against the grants it is given, else the chain's.
 */
class MemoryMeter implements Meter {
  used = 0;
  takes = 0;
  /** Grant look-ups (each costs two cache reads in the gateway). */
  lookups = 0;
  readonly chain: SubscriptionGrant[];
  readonly entitlements = {
    validSubscriptions: async (): Promise<SubscriptionGrant[]> => (this.lookups++, [...this.chain]),
  };
  constructor(limit: number) {
    this.chain = [grant(limit)];
  }
  get grants(): SubscriptionGrant[] {
    return [...this.chain];
  }
  /** Takes under way, of every meter: settle() waits until none is. */
  static pending = 0;
  async take(_b: string, _s: string, n: number, grants?: readonly SubscriptionGrant[]): Promise<number> {
    this.takes++;
    MemoryMeter.pending++;
    try {
      await new Promise((r) => setImmediate(r)); // answered later, like Redis
      const g = Math.max(0, Math.min(n, paidLimit(grants ?? this.chain) - this.used));
      this.used += g;
      return g;
    } finally {
      MemoryMeter.pending--;
    }
  }
  async release(_b: string, _s: string, n: number): Promise<void> {
    this.used -= Math.min(n, this.used);
  }
  async remaining(): Promise<number> {
    return paidLimit(this.chain) - this.used;
  }
}

function book(
  meter: MemoryMeter | Meter,
  opts = { leaseSize: 4, lowWater: 1, maxHeld: 100 },
  /** How a held entry comes back to forward(): as it was handed over, or copied on the way. */
  back: (e: HeldEntry) => HeldEntry = (e) => e,
  clock = new FakeClock(),
) {
  const delivered: string[] = [];
  const exhausted: string[] = [];
  const entitlements = meter instanceof MemoryMeter ? meter.entitlements : { validSubscriptions: async () => [] };
  const b = new LeaseBook(
    meter,
    entitlements,
    'buyer',
    opts,
    {
      redeliver: (_s, e) => b.forward('s', back(e)) && delivered.push(e.payload.toString()),
      exhausted: (s) => exhausted.push(s),
    },
    log,
    clock,
  );
  const offer = (v: string) => {
    const e: HeldEntry = { topic: 'sensors/s', payload: Buffer.from(v), qos: 1 };
    if (b.forward('s', e)) delivered.push(v);
  };
  return { b, delivered, exhausted, offer };
}

/**
 * Resolves once no take is under way and everything their answers started has run: the lease
 * book itself uses no timer but its retry, which runs on the fake clock. No sleeping.
 */
async function settle(): Promise<void> {
  do await new Promise((r) => setImmediate(r));
  while (MemoryMeter.pending > 0);
}

test('a burst far over N delivers exactly the first N, in order, and reports exhaustion once', async () => {
  const meter = new MemoryMeter(10);
  const { b, delivered, exhausted, offer } = book(meter);
  assert.is(await b.open('s', meter.grants), 4);
  for (let i = 0; i < 30; i++) offer(String(i));
  for (let i = 0; i < 20; i++) await settle();
  assert.equal(
    delivered,
    Array.from({ length: 10 }, (_, i) => String(i)),
  );
  assert.equal(exhausted, ['s']);
  assert.is(meter.used, 10);
  assert.not.ok(b.has('s'));
});

test('credit is taken ahead of need: steady traffic is never held back', async () => {
  const meter = new MemoryMeter(100);
  const { b, delivered, offer } = book(meter, { leaseSize: 8, lowWater: 4, maxHeld: 100 });
  await b.open('s', meter.grants);
  for (let i = 0; i < 40; i++) {
    offer(String(i));
    assert.is(delivered.length, i + 1, `entry ${i} forwarded at once`);
    await settle();
  }
});

test('closing returns the unspent lease; nothing paid is lost', async () => {
  const meter = new MemoryMeter(10);
  const { b, offer } = book(meter);
  await b.open('s', meter.grants);
  offer('a');
  await b.close('s');
  assert.is(meter.used, 1);
  assert.is(await b.open('s', meter.grants), 4);
});

test('two connections sharing one counter deliver exactly N together', async () => {
  const meter = new MemoryMeter(25);
  const one = book(meter);
  const two = book(meter);
  await one.b.open('s', meter.grants);
  await two.b.open('s', meter.grants);
  for (let i = 0; i < 60; i++) {
    one.offer(String(i));
    two.offer(String(i));
    if (i % 5 === 0) await settle();
  }
  for (let i = 0; i < 20; i++) await settle();
  assert.is(one.delivered.length + two.delivered.length, 25);
});

test('a failing counter holds entries and retries instead of delivering unpaid ones', async () => {
  let fail = true;
  const meter = new MemoryMeter(5);
  const flaky: Meter = {
    take: (b, s, n) => (fail ? Promise.reject(new Error('redis down')) : meter.take(b, s, n)),
    release: meter.release.bind(meter),
    remaining: meter.remaining.bind(meter),
  };
  const clock = new FakeClock();
  const { b, delivered, offer } = book(flaky, undefined, undefined, clock);
  fail = false;
  await b.open('s', meter.grants);
  fail = true;
  for (let i = 0; i < 8; i++) offer(String(i));
  await settle();
  assert.is(delivered.length, 4, 'only the first lease');
  fail = false;
  clock.advance(RETRY_MS - 1);
  await settle();
  assert.is(delivered.length, 4, 'no retry before RETRY_MS');
  clock.advance(1);
  await settle();
  assert.equal(delivered, ['0', '1', '2', '3', '4']);
  assert.is(clock.pending, 0);
});

test('reclaim moves unspent credit out of a lease without releasing it', async () => {
  const meter = new MemoryMeter(6);
  const { b, delivered, exhausted, offer } = book(meter);
  assert.is(await b.open('s', meter.grants), 4);
  offer('a');
  assert.is(b.reclaim('s', 10), 3, 'all unspent credit moves');
  assert.is(meter.used, 4, 'moved credit stays counted: the taker delivers it');
  assert.is(b.reclaim('s', 1), 0);
  offer('b'); // no credit: held, refilled from what is left (2)
  await settle();
  offer('c');
  offer('d'); // 2 paid entries left for live after the 3 moved: c is the last
  await settle();
  assert.equal(delivered, ['a', 'b', 'c']);
  assert.ok(meter.used <= 6);
  assert.equal(exhausted, ['s']);
});

test('refills measure against the grants the lease holds: no grant look-up while they last', async () => {
  const meter = new MemoryMeter(100);
  const { b, delivered, offer } = book(meter);
  await b.open('s', meter.grants);
  for (let i = 0; i < 30; i++) {
    offer(String(i));
    await settle();
  }
  assert.is(delivered.length, 30);
  assert.ok(meter.takes >= 8, `${meter.takes} takes`);
  assert.is(meter.lookups, 0);
});

test('a buyer who pays for more while subscribed keeps receiving: short takes read the grants again', async () => {
  const meter = new MemoryMeter(6);
  const { b, delivered, exhausted, offer } = book(meter);
  await b.open('s', meter.grants);
  for (let i = 0; i < 5; i++) offer(String(i));
  for (let i = 0; i < 5; i++) await settle();
  assert.is(delivered.length, 5);
  meter.chain.push(grant(4)); // a second subscription: 10 paid in all
  for (let i = 5; i < 14; i++) offer(String(i));
  for (let i = 0; i < 10; i++) await settle();
  assert.equal(
    delivered,
    Array.from({ length: 10 }, (_, i) => String(i)),
  );
  assert.equal(exhausted, ['s']);
  assert.ok(meter.lookups >= 1);
});

test(
  'held entries come back as copies (a new packet, a new ' + 'buffer): each is delivered once, paid once, in order',
  async () => {
    const meter = new MemoryMeter(100);
    const copy = (e: HeldEntry): HeldEntry => ({ ...e, payload: Buffer.from(e.payload) });
    const { b, delivered, offer } = book(meter, { leaseSize: 4, lowWater: 1, maxHeld: 100 }, copy);
    await b.open('s', meter.grants);
    for (let i = 0; i < 12; i++) offer(String(i)); // 4 at once, 8 held until the refill
    for (let i = 0; i < 10; i++) await settle();
    assert.equal(
      delivered,
      Array.from({ length: 12 }, (_, i) => String(i)),
    );
    assert.is(meter.used - b.credit('s'), 12, 'paid exactly what was delivered');
  },
);

test.run();
