import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROFILES, ReadingGenerator } from '../../../firmware-sim/readings.ts';
import { decodeReading, encodeReading, SENSOR_TYPES, type BuiltInSensorType } from '../../../sdk/crypto/reading.ts';
import { isItradeError } from '../../../protocol/errors.ts';

const R = { seq: 42, ts: 1767225600123, type: 0, value: 21.37, unit: 'Cel' };

test('a reading encodes to the documented JSON and back', () => {
  const bytes = encodeReading(R);
  assert.is(Buffer.from(bytes).toString(), '{"seq":42,"ts":1767225600123,"type":0,"value":21.37,"unit":"Cel"}');
  assert.equal(decodeReading(bytes), R);
});

test('extra fields from a newer device are tolerated and dropped', () => {
  assert.equal(decodeReading(Buffer.from(JSON.stringify({ ...R, battery: 3.1 }))), R);
});

test('every invalid field is refused, naming the field', () => {
  const cases: [unknown, string][] = [
    [{ ...R, seq: -1 }, 'seq'],
    [{ ...R, seq: 1.5 }, 'seq'],
    [{ ...R, ts: '2026-01-01' }, 'ts'],
    [{ ...R, type: 70000 }, 'type'],
    [{ ...R, value: null }, 'value'],
    [{ ...R, value: '21' }, 'value'],
    [{ ...R, unit: '' }, 'unit'],
    [{ ...R, unit: 'x'.repeat(17) }, 'unit'],
    [[R], '(root)'],
  ];
  for (const [v, field] of cases) {
    try {
      decodeReading(Buffer.from(JSON.stringify(v)));
      assert.unreachable(`accepted ${JSON.stringify(v)}`);
    } catch (err) {
      assert.ok(isItradeError(err, 'CRYPTO_READING_INVALID'), String(err));
      assert.match((err as Error).message, `"${field}"`);
    }
  }
  for (const raw of ['not json', '{"seq":', 'x'.repeat(5000)]) {
    try {
      decodeReading(Buffer.from(raw));
      assert.unreachable(`accepted ${raw.slice(0, 10)}`);
    } catch (err) {
      assert.ok(isItradeError(err, 'CRYPTO_READING_INVALID'));
    }
  }
});

test('the generator stays in its realistic range, moves smoothly, and counts seq up', () => {
  for (const t of [0, 1, 2, 3] as BuiltInSensorType[]) {
    const p = PROFILES[t];
    let clock = 1_000;
    const gen = new ReadingGenerator(t, { seed: 7 + t, startSeq: 5, now: () => (clock += 1000) });
    let prev = gen.next();
    assert.is(prev.seq, 5);
    assert.is(prev.unit, SENSOR_TYPES[t].unit);
    const distinct = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const r = gen.next();
      assert.ok(r.value >= p.min && r.value <= p.max, `type ${t}: ${r.value} outside ${p.min}..${p.max}`);
      // a random walk, not noise: no jump larger than ~8 standard deviations of a step
      assert.ok(
        Math.abs(r.value - prev.value) <= 8 * p.step + 0.02 * (p.max - p.min),
        `type ${t}: jump ${prev.value} -> ${r.value}`,
      );
      assert.is(r.seq, prev.seq + 1);
      assert.is(r.ts, prev.ts + 1000);
      assert.is(r.type, t);
      distinct.add(r.value);
      prev = r;
    }
    assert.ok(distinct.size > 100, `type ${t} varies`);
  }
});

test('the same seed gives the same series (reproducible simulations)', () => {
  const a = new ReadingGenerator(2, { seed: 99, now: () => 0 });
  const b = new ReadingGenerator(2, { seed: 99, now: () => 0 });
  const c = new ReadingGenerator(2, { seed: 100, now: () => 0 });
  const sa = Array.from({ length: 50 }, () => a.next().value);
  assert.equal(
    Array.from({ length: 50 }, () => b.next().value),
    sa,
  );
  assert.not.equal(
    Array.from({ length: 50 }, () => c.next().value),
    sa,
  );
});

test('every generated reading is a valid encoded reading', () => {
  const gen = new ReadingGenerator(3, { seed: 1 });
  for (let i = 0; i < 100; i++) {
    const r = gen.next();
    assert.equal(decodeReading(encodeReading(r)), r);
  }
});

test.run();
