import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../lib/log.ts';
import { ThrottledLog } from '../../lib/throttled-log.ts';
import { FakeClock } from '../helpers/clock.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  return { lines, log: createLogger({ level: 'info' }, stream as never) };
}

test('the first refusal is logged at once, a burst after it as one summary with its count', () => {
  const { lines, log } = capture();
  const clock = new FakeClock();
  const t = new ThrottledLog(log, 'connection refused', 'warn', 100, clock);
  t.note('limit_connect_rate', '1.2.3.4', { code: 'ITRADE_ERR_LIMIT_CONNECT_RATE' });
  for (let i = 0; i < 1000; i++)
    t.note('limit_connect_rate', `10.0.0.${i % 50}`, { code: 'ITRADE_ERR_LIMIT_CONNECT_RATE' });
  assert.is(lines.length, 1);
  assert.is(lines[0]!.count, 1);
  assert.is(lines[0]!.level, 40);
  clock.advance(99);
  assert.is(lines.length, 1, 'nothing more inside the window');
  clock.advance(1);
  assert.is(lines.length, 2);
  assert.is(lines[1]!.count, 1000);
  assert.is(lines[1]!.msg, 'connection refused');
  assert.is((lines[1]!.subjects as string[]).length, 10, 'a sample of subjects, not all');
  assert.is(clock.pending, 0);
});

test('keys are separate; flushAll writes what is pending', () => {
  const { lines, log } = capture();
  const clock = new FakeClock();
  const t = new ThrottledLog(log, 'publish refused', 'info', 60_000, clock);
  t.note('a', 'x', {});
  t.note('a', 'x', {});
  t.note('b', 'y', {});
  assert.is(lines.length, 2);
  t.flushAll();
  assert.is(lines.length, 3);
  assert.equal(
    lines.map((l) => l.count),
    [1, 1, 1],
  );
  assert.is(clock.pending, 0, 'the window timer is cleared');
});

test('fields given as a function are read when the summary is written, not when the first event came', () => {
  const { lines, log } = capture();
  const clock = new FakeClock();
  const t = new ThrottledLog(log, 'bridge refused publishes', 'warn', 5000, clock);
  let entries = 5;
  const fields = () => ({ bufferEntries: entries });
  t.note('buffer_full', 's1', fields);
  t.note('buffer_full', 's1', fields);
  entries = 8;
  t.note('buffer_full', 's2', fields);
  entries = 2;
  clock.advance(5000);
  assert.equal(
    lines.map((l) => [l.count, l.bufferEntries]),
    [
      [1, 5],
      [2, 2],
    ],
  );
});

test.run();
