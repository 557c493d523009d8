import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { distanceKm } from '../../participant/market-list.ts';
import { sensorsOfSeller } from '../../firmware-sim/provision.ts';

test('distanceKm: zero to itself, Zurich to Bern about 95 km, symmetric', () => {
  const zurich = { latitude: 47.3769, longitude: 8.5417 };
  const bern = { latitude: 46.948, longitude: 7.4474 };
  assert.is(distanceKm(zurich, zurich), 0);
  const d = distanceKm(zurich, bern);
  assert.ok(d > 93 && d < 97, `${d}`);
  assert.is(distanceKm(bern, zurich), d);
});

test('sensorsOfSeller spreads a total evenly, the first sellers taking one more', () => {
  assert.equal(
    [0, 1, 2].map((i) => sensorsOfSeller(7, 3, i)),
    [3, 2, 2],
  );
  assert.equal(
    [0, 1].map((i) => sensorsOfSeller(3, 2, i)),
    [2, 1],
  );
  assert.is(
    [0, 1, 2, 3].map((i) => sensorsOfSeller(100, 4, i)).reduce((a, b) => a + b),
    100,
  );
});

test.run();
