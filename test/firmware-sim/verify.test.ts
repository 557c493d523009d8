import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Reading } from '../../sdk/crypto/reading.ts';
import { percentile, StreamCheck } from '../../firmware-sim/verify.ts';

const r = (seq: number, ts = 1000 + seq, type = 0): Reading => ({ seq, ts, type, value: 1, unit: 'Cel' });

test('consecutive readings are ok; a jump counts the missing ones', () => {
  const c = new StreamCheck(0, true);
  assert.equal(
    [r(0), r(1), r(2), r(5), r(6)].map((x) => c.accept(x, 1)),
    ['ok', 'ok', 'ok', 'gap', 'ok'],
  );
  assert.is(c.totals.gaps, 2);
  assert.is(c.totals.decrypted, 5);
  assert.equal(c.seqs, [0, 1, 2, 5, 6]);
});

test('a repeat is a duplicate and does not move the stream; seq 0 with a later ts is a restart', () => {
  const c = new StreamCheck();
  c.accept(r(3), 0);
  c.accept(r(4), 0);
  assert.is(c.accept(r(4), 0), 'duplicate');
  assert.is(c.accept(r(5), 0), 'ok', 'the repeat did not reset the expected seq');
  assert.is(c.accept(r(0, 99_999), 0), 'restart');
  assert.is(c.accept(r(1, 100_000), 0), 'ok');
  assert.equal([c.totals.duplicates, c.totals.restarts, c.totals.gaps], [1, 1, 0]);
});

test('a reading of another sensor type is counted; failures are counted by code', () => {
  const c = new StreamCheck(1);
  assert.is(c.accept(r(0, 1, 0), 0), 'wrong-type');
  c.fail('ITRADE_ERR_CRYPTO_DECRYPT_FAILED');
  c.fail('ITRADE_ERR_CRYPTO_DECRYPT_FAILED');
  c.fail('ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED');
  assert.is(c.totals.wrongType, 1);
  assert.is(c.failures, 3);
  assert.equal(c.totals.failed, { ITRADE_ERR_CRYPTO_DECRYPT_FAILED: 2, ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED: 1 });
});

test('percentile: nearest rank; none for no samples', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.is(percentile(xs, 50), 50);
  assert.is(percentile(xs, 99), 99);
  assert.is(percentile(xs, 100), 100);
  assert.is(percentile([], 50), undefined);
});

test.run();
