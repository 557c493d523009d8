// The order and pool of `npm test` (scripts/test-schedule.ts): the longest known files start
// first, and a file waiting for the stack or the tools does not hold a worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPool, TestTimes, type Job } from '../../scripts/test-schedule.ts';

const dir = mkdtempSync(join(tmpdir(), 'itrade-times-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const job = (key: string, log: string[], needs?: Promise<unknown>): Job<string> => ({
  key,
  needs,
  run: async () => (log.push(key), key),
});

test('never timed first in the given order, then the longest first; times kept across runs', () => {
  const file = join(dir, 'times.json');
  const first = new TestTimes(file);
  for (const [k, ms] of [
    ['short', 1_000],
    ['long', 90_000],
    ['middle', 20_000],
  ] as const)
    first.note(k, ms);
  first.save();
  const keys = ['short', 'new-a', 'middle', 'long', 'new-b'];
  const ordered = new TestTimes(file).order(keys.map((k) => job(k, [])));
  assert.equal(
    ordered.map((j) => j.key),
    ['new-a', 'new-b', 'long', 'middle', 'short'],
  );
});

test('an unreadable times file counts as none: the given order', () => {
  const t = new TestTimes(join(dir, 'missing', 'times.json'));
  assert.equal(
    t.order(['b', 'a'].map((k) => job(k, []))).map((j) => j.key),
    ['b', 'a'],
  );
});

test('a job waiting for its needs is passed over; every worker wakes when they come', async () => {
  const stack = deferred();
  const log: string[] = [];
  const done: string[] = [];
  const jobs = [
    job('int-1', log, stack.promise),
    job('int-2', log, stack.promise),
    job('unit-1', log),
    job('unit-2', log),
  ];
  const pool = runPool(jobs, 2, (r) => {
    done.push(r);
    // Both workers are idle once the unit files are done: the stack comes up only then.
    if (done.length === 2) stack.resolve();
  });
  await pool;
  assert.equal(log.slice(0, 2), ['unit-1', 'unit-2'], 'the unit files ran while the stack came up');
  assert.equal(new Set(log.slice(2)), new Set(['int-1', 'int-2']));
  assert.is(done.length, 4, 'every job once');
});

test('a failed need still runs its job (which reports the failure itself)', async () => {
  const log: string[] = [];
  const failed = Promise.reject(new Error('helm did not install'));
  await runPool([job('deploy', log, failed), job('unit', log)], 1, () => {});
  assert.equal(log, ['unit', 'deploy']);
});

test.run();
