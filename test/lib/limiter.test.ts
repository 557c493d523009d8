import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { limiter } from '../../lib/limiter.ts';
import { isItradeError, itradeError } from '../../protocol/errors.ts';

test('never more than n tasks at once, every task runs, results and errors come back', async () => {
  const limit = limiter(3);
  let running = 0;
  let peak = 0;
  const task = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 1 + (i % 4)));
    running--;
    if (i === 7) throw new Error('seven');
    return i * 2;
  };
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => limit(task(i))));
  assert.is(peak, 3);
  assert.equal(
    results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value),
    Array.from({ length: 20 }, (_, i) => i * 2).filter((v) => v !== 14),
  );
  assert.is((results[7] as PromiseRejectedResult).reason.message, 'seven');
});

test('a task queued right as another ends does not overtake the waiting ones', async () => {
  const limit = limiter(1);
  const order: string[] = [];
  const a = limit(async () => void order.push('a'));
  const b = limit(async () => void order.push('b'));
  await a;
  const c = limit(async () => void order.push('c'));
  await Promise.all([b, c]);
  assert.equal(order, ['a', 'b', 'c']);
});

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('queued tasks start in arrival order as slots free up', async () => {
  const limit = limiter(2);
  const gates = Array.from({ length: 6 }, deferred);
  const started: number[] = [];
  const all = gates.map((g, i) => limit(async () => (started.push(i), await g.promise, i)));
  await new Promise((r) => setImmediate(r));
  assert.equal(started, [0, 1]);
  assert.is(limit.queued, 4);
  for (const g of gates) {
    g.resolve();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await Promise.all(all), [0, 1, 2, 3, 4, 5]);
  assert.equal(started, [0, 1, 2, 3, 4, 5]);
});

test('with a wait bound, a task that waited maxWaitMs for its turn is not run and rejects', async () => {
  const limit = limiter(1, {
    maxWaitMs: 50,
    error: (waiting) => itradeError('CHAIN_UNAVAILABLE', `waited 50 ms, ${waiting} waiting`),
  });
  const stuck = deferred();
  const first = limit(() => stuck.promise);
  let ran = false;
  const err = await limit(async () => void (ran = true)).catch((e: unknown) => e);
  assert.ok(isItradeError(err, 'CHAIN_UNAVAILABLE'), String(err));
  assert.not.ok(ran);
  assert.is(limit.queued, 0, 'the one that gave up left the queue');
  stuck.resolve();
  await first;
  assert.is(await limit(async () => 'free again'), 'free again');
});

test.run();
