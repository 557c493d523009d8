import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assigned } from '../../firmware-sim/provision.ts';

const sensors = ['s0', 's1', 's2', 's3', 's4'];

test('each buyer gets k consecutive sensors, round-robin, so every sensor has buyers', () => {
  assert.equal(assigned(sensors, 0, 2), ['s0', 's1']);
  assert.equal(assigned(sensors, 1, 2), ['s2', 's3']);
  assert.equal(assigned(sensors, 2, 2), ['s4', 's0']);
  const covered = new Set(Array.from({ length: 5 }, (_, i) => assigned(sensors, i, 1)).flat());
  assert.is(covered.size, 5);
});

test('k above the number of sensors: each sensor once; no sensors: none', () => {
  assert.equal(assigned(sensors, 3, 9), ['s0', 's1', 's2', 's3', 's4']);
  assert.equal(assigned([], 0, 2), []);
});

test.run();
