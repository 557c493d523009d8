import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RateLimiter } from '../../../broker/limits/rate.ts';

test('a burst passes, then the sustained rate', () => {
  const r = new RateLimiter({ perSec: 2, burst: 3 });
  const t = 1_000_000;
  assert.equal(
    [1, 2, 3, 4].map(() => r.take('a', t)),
    [true, true, true, false],
  );
  assert.not.ok(r.take('a', t + 400), '0.8 tokens after 400 ms');
  assert.ok(r.take('a', t + 500), 'one token per 500 ms');
  assert.not.ok(r.take('a', t + 500));
  assert.ok(r.take('b', t), 'keys are independent');
});

test('an idle bucket refills to the burst, never beyond', () => {
  const r = new RateLimiter({ perSec: 10, burst: 2 });
  assert.ok(r.take('a', 0));
  assert.ok(r.take('a', 0));
  assert.not.ok(r.take('a', 0));
  const later = 60_000;
  assert.equal(
    [1, 2, 3].map(() => r.take('a', later)),
    [true, true, false],
  );
});

test('perSec 0 switches the limit off', () => {
  const r = new RateLimiter({ perSec: 0, burst: 1 });
  assert.not.ok(r.enabled);
  for (let i = 0; i < 100; i++) assert.ok(r.take('a', 0));
  assert.is(r.size, 0);
});

test('memory stays bounded: idle buckets go, and never more than maxKeys', () => {
  const r = new RateLimiter({ perSec: 1, burst: 5, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) r.take(`k${i}`, 0);
  assert.ok(r.size <= 101, `tracked ${r.size}`);
  // Much later every bucket is full again; passing traffic sweeps them away.
  for (let i = 0; i < 200; i++) r.take('busy', 3_600_000 + i);
  assert.ok(r.size <= 2, `tracked ${r.size} after the sweep`);
});

test.run();
