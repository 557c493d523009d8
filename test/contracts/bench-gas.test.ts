// The goal-marking of `npm run bench:gas` (contracts/bench/report.ts), without a chain: which
// call is held to which of issue 16's goals, the edges of "met", and the table and summary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GAS_GOALS, goalSummary, markGoal, renderTable, type Gas } from '../../contracts/bench/report.ts';

test('each goal applies to its calls, every subscribe variant included; other calls have none', () => {
  assert.equal(markGoal('registerDataStreamPrincipal', 250_000n), { max: 250_000n, met: true });
  assert.equal(markGoal('registerDataStreamPrincipal', 250_001n), { max: 250_000n, met: false });
  assert.equal(markGoal('registerSensor', 150_000n), { max: 150_000n, met: true });
  assert.equal(markGoal('registerSensor', 150_001n), { max: 150_000n, met: false });
  for (const call of ['subscribe (first of the sensor)', 'subscribe (again, 10 % overpaid)']) {
    assert.equal(markGoal(call, 149_999n), { max: 150_000n, met: true });
    assert.equal(markGoal(call, 400_000n), { max: 150_000n, met: false });
  }
  for (const call of ['deploy marketplace (once)', 'activate', 'withdraw (seller)'])
    assert.is(markGoal(call, 10n ** 9n), undefined);
  assert.equal(
    GAS_GOALS.map((g) => [g.label, g.max]),
    [
      ['registerPrincipal', 250_000n],
      ['registerSensor', 150_000n],
      ['subscribe', 150_000n],
    ],
  );
});

const gas = (entries: [string, bigint][]): Gas => new Map(entries);

test('the table: before, now and full side by side, the change, and each goal marked met or NOT MET', () => {
  const before = gas([
    ['registerSensor', 230_318n],
    ['subscribe (first of the sensor)', 257_533n],
    ['activate', 38_399n],
  ]);
  const now = gas([
    ['registerSensor', 110_794n],
    ['subscribe (first of the sensor)', 150_001n],
    ['activate', 36_702n],
    ['multicall', 1n],
  ]);
  const full = gas([
    ['registerSensor', 555_868n],
    ['subscribe (first of the sensor)', 480_965n],
    ['activate', 34_039n],
  ]);
  const lines = renderTable({ before, now, full }, [['code per Sensor (bytes)', '45', '59', '2147']]).split('\n');
  assert.match(lines[0]!, /^call +before \(main\) +now \(clones\) +full contracts +now vs before +goal$/);
  const row = (call: string) => lines.find((l) => l.startsWith(call))!.split(/\s{2,}/);
  assert.equal(row('registerSensor'), ['registerSensor', '230,318', '110,794', '555,868', '-52 %', '<= 150,000 met']);
  assert.equal(row('subscribe (first of the sensor)'), [
    'subscribe (first of the sensor)',
    '257,533',
    '150,001',
    '480,965',
    '-42 %',
    '<= 150,000 NOT MET',
  ]);
  assert.equal(row('activate'), ['activate', '38,399', '36,702', '34,039', '-4 %']);
  assert.equal(row('multicall'), ['multicall', '-', '1', '-']);
  assert.equal(row('code per Sensor (bytes)'), ['code per Sensor (bytes)', '45', '59', '2147']);
});

test('the summary names every goal missed', () => {
  assert.is(
    goalSummary(
      gas([
        ['registerSensor', 1n],
        ['subscribe (a)', 2n],
        ['activate', 10n ** 9n],
      ]),
    ),
    'goals: all 2 met',
  );
  assert.is(
    goalSummary(
      gas([
        ['registerDataStreamPrincipal', 639_348n],
        ['registerSensor', 1n],
        ['subscribe (a)', 150_001n],
      ]),
    ),
    'goals: 1 of 3 met; NOT MET: registerDataStreamPrincipal, subscribe (a)',
  );
});

test.run();
