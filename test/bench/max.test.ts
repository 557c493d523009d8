import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { searchMax } from '../../bench/scenarios/max.ts';

/** A target that holds any rate up to `capacity`; records the rates tried. */
function target(capacity: number) {
  const tried: number[] = [];
  const attempt = async (rate: number) => {
    tried.push(rate);
    return rate <= capacity ? '' : 'P99 too high';
  };
  return { tried, attempt };
}

const RATES = [500, 1000, 2000, 5000, 10000];

test('bisects between the last rate that held and the first that failed', async () => {
  const t = target(3700);
  assert.is(await searchMax(RATES, 2, 250, t.attempt), 3500);
  assert.equal(t.tried, [500, 1000, 2000, 5000, 3500, 4250]);
});

test('a failed bisection step lowers the upper bound', async () => {
  const t = target(2600);
  assert.is(await searchMax(RATES, 3, 250, t.attempt), 2500);
  assert.equal(t.tried, [500, 1000, 2000, 5000, 3500, 2750, 2500]);
});

test('no refinement when the first rate fails, or when nothing lies between', async () => {
  const none = target(100);
  assert.is(await searchMax(RATES, 2, 250, none.attempt), 0);
  assert.equal(none.tried, [500]);
  const adjacent = target(700);
  assert.is(await searchMax([500, 750, 1000], 2, 250, adjacent.attempt), 500);
  assert.equal(adjacent.tried, [500, 750]);
});

test('top of the range: every rate held, nothing more is tried', async () => {
  const t = target(1e9);
  assert.is(await searchMax(RATES, 2, 250, t.attempt), 10000);
  assert.equal(t.tried, RATES);
});

test.run();
