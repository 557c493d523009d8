import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Samples, perSecond, summarize } from '../../bench/stats.ts';

test('nearest-rank percentiles', () => {
  const v = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000
  const s = summarize(v.reverse());
  assert.is(s.count, 1000);
  assert.is(s.p50, 500);
  assert.is(s.p90, 900);
  assert.is(s.p99, 990);
  assert.is(s.p999, 999);
  assert.is(s.max, 1000);
  assert.is(s.mean, 500.5);
});

test('one outlier shows in max and p99.9 of small sets, not in p50', () => {
  const s = summarize([1, 1, 1, 1, 1, 1, 1, 1, 1, 250]);
  assert.is(s.p50, 1);
  assert.is(s.max, 250);
  assert.is(s.p99, 250);
});

test('empty input is NaN, never a flattering zero', () => {
  const s = summarize([]);
  assert.ok(Number.isNaN(s.p99));
  assert.ok(Number.isNaN(s.max));
});

test('samples grow past their initial capacity', () => {
  const s = new Samples(4);
  for (let i = 0; i < 100; i++) s.add(i);
  assert.is(s.count, 100);
  assert.is(s.values()[99], 99);
});

test('per-second buckets', () => {
  const series = perSecond([0, 500, 1000, 1999, 2500], [1, 3, 10, 20, 7], 0);
  assert.equal(
    series.map((x) => [x.second, x.summary.count, x.summary.max]),
    [
      [0, 2, 3],
      [1, 2, 20],
      [2, 1, 7],
    ],
  );
});

test.run();
