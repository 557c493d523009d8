import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LoadSlots } from '../../../broker/chain/slots.ts';
import { isItradeError } from '../../../lib/errors.ts';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('never more than n look-ups under way; the rest start in arrival order', async () => {
  const slots = new LoadSlots(2, 10_000);
  const gates = Array.from({ length: 6 }, deferred);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const all = gates.map((g, i) =>
    slots.run(async () => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await g.promise;
      running--;
      return i;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(started, [0, 1]);
  assert.is(slots.queued, 4);
  for (const g of gates) {
    g.resolve();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await Promise.all(all), [0, 1, 2, 3, 4, 5]);
  assert.equal(started, [0, 1, 2, 3, 4, 5]);
  assert.is(peak, 2);
});

test('a failed look-up frees its slot too', async () => {
  const slots = new LoadSlots(1, 10_000);
  const failed = slots.run(() => Promise.reject(new Error('node said no')));
  const next = slots.run(async () => 'answered');
  assert.is(await failed.then(() => 'answered', (e: Error) => e.message), 'node said no');
  assert.is(await next, 'answered');
});

test('a look-up that waits longer than maxWaitMs for its turn fails closed with CHAIN_UNAVAILABLE', async () => {
  const slots = new LoadSlots(1, 50);
  const stuck = deferred();
  const first = slots.run(() => stuck.promise);
  const err = await slots.run(async () => 'never').catch((e: unknown) => e);
  assert.ok(isItradeError(err, 'CHAIN_UNAVAILABLE'), String(err));
  assert.match((err as Error).message, /within 50 ms/);
  assert.is(slots.queued, 0, 'the one that gave up left the queue');
  stuck.resolve();
  await first;
  assert.is(await slots.run(async () => 'free again'), 'free again');
});

test.run();
