import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../lib/log.ts';
import { ThrottledLog } from '../../lib/throttled-log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  return { lines, log: createLogger({ level: 'info' }, stream as never) };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the first refusal is logged at once, a burst after it as one summary with its count', async () => {
  const { lines, log } = capture();
  const t = new ThrottledLog(log, 'connection refused', 'warn', 100);
  t.note('limit_connect_rate', '1.2.3.4', { code: 'ITRADE_ERR_LIMIT_CONNECT_RATE' });
  for (let i = 0; i < 1000; i++)
    t.note('limit_connect_rate', `10.0.0.${i % 50}`, { code: 'ITRADE_ERR_LIMIT_CONNECT_RATE' });
  await tick(20);
  assert.is(lines.length, 1);
  assert.is(lines[0]!.count, 1);
  assert.is(lines[0]!.level, 40);
  await tick(150);
  assert.is(lines.length, 2);
  assert.is(lines[1]!.count, 1000);
  assert.is(lines[1]!.msg, 'connection refused');
  assert.is((lines[1]!.subjects as string[]).length, 10, 'a sample of subjects, not all');
});

test('keys are separate; flushAll writes what is pending', async () => {
  const { lines, log } = capture();
  const t = new ThrottledLog(log, 'publish refused', 'info', 60_000);
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
});

test.run();
