// The foreground runner's signal handling, with a stand-in gateway (the real one is exercised
// under SIGTERM in test/integration/shutdown.test.ts): one signal shuts down gracefully and
// returns 0; a second one forces the exit with 128 + the signal; a shutdown that outlasts
// operator.shutdown.timeoutMs exits 1. The deadline runs on a fake clock: nothing sleeps.
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { runGateway } from '../../cli/run-gateway.ts';
import { createLogger } from '../../lib/log.ts';
import { FakeClock, settle } from '../helpers/clock.ts';

const cfg = validateConfig({ operator: { shutdown: { timeoutMs: 1000 } } }, 'test');

function logs() {
  const lines: { msg: string }[] = [];
  const log = createLogger(
    { level: 'info' },
    new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) as never,
  );
  return { lines, log };
}

/** A gateway whose close() ends when the test says so (never, unless finish() is called). */
function stand() {
  let finish = (): void => undefined;
  const closed = new Promise<void>((r) => (finish = r));
  const g = { closes: 0, close: () => (g.closes++, closed), finish: () => finish() };
  return g;
}

/** Runs the runner until it listens and has had `signal` once; resolves with its result (boxed: not awaited). */
async function started(
  signal: 'SIGINT' | 'SIGTERM',
  gw: ReturnType<typeof stand>,
  clock: FakeClock,
  log: ReturnType<typeof logs>['log'],
  exits: number[],
) {
  let up = (): void => undefined;
  const listening = new Promise<void>((r) => (up = r));
  const run = runGateway(cfg, {
    log,
    clock,
    exit: (c) => exits.push(c),
    start: async () => gw,
    started: () => (process.emit(signal), up()),
  });
  await listening;
  return { run };
}

test('one SIGTERM: graceful close, exit code 0, the listeners and the deadline are gone afterwards', async () => {
  const { lines, log } = logs();
  const gw = stand();
  const clock = new FakeClock();
  const before = process.listenerCount('SIGTERM');
  const exits: number[] = [];
  const { run } = await started('SIGTERM', gw, clock, log, exits);
  assert.is(clock.pending, 1, 'the shutdown deadline runs');
  gw.finish();
  assert.is(await run, 0);
  assert.is(gw.closes, 1);
  assert.equal(exits, []);
  assert.is(process.listenerCount('SIGTERM'), before);
  assert.is(clock.pending, 0, 'the deadline is cleared');
  assert.ok(lines.some((l) => l.msg.startsWith('signal received: shutting down gracefully')));
});

test('a second signal forces the exit: 130 for SIGINT, 143 for SIGTERM', async () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    const { lines, log } = logs();
    const gw = stand();
    const exits: number[] = [];
    await started(signal, gw, new FakeClock(), log, exits);
    process.emit(signal);
    assert.equal(exits, [code]);
    assert.is(gw.closes, 1, 'the second signal does not start another shutdown');
    assert.ok(lines.some((l) => l.msg === 'second signal: exiting now without finishing the shutdown'));
    process.removeAllListeners(signal);
  }
});

test('a shutdown longer than operator.shutdown.timeoutMs exits 1, not a moment before', async () => {
  const { lines, log } = logs();
  const clock = new FakeClock();
  const exits: number[] = [];
  await started('SIGTERM', stand(), clock, log, exits);
  clock.advance(999);
  await settle();
  assert.equal(exits, [], 'still within the deadline');
  clock.advance(1);
  assert.equal(exits, [1]);
  assert.ok(lines.some((l) => l.msg === 'shutdown did not finish in time: exiting'));
  process.removeAllListeners('SIGTERM');
});

test.run();
