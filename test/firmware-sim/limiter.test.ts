import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { limiter } from '../../firmware-sim/limiter.ts';

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
  assert.equal(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value), Array.from({ length: 20 }, (_, i) => i * 2).filter((v) => v !== 14));
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

test.run();
