// The foreground runner's signal handling, with a stand-in gateway (the real one is exercised
// under SIGTERM in test/integration/shutdown.test.ts): one signal shuts down gracefully and
// returns 0; a second one forces the exit with 128 + the signal; a shutdown that outlasts
// operator.shutdown.timeoutMs exits 1.
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { runGateway } from '../../cli/run-gateway.ts';
import { createLogger } from '../../lib/log.ts';

const cfg = validateConfig({ operator: { shutdown: { timeoutMs: 1000 } } }, 'test');

function logs() {
  const lines: { msg: string }[] = [];
  const log = createLogger(
    { level: 'info' },
    new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) as never,
  );
  return { lines, log };
}

function stand(closeMs: number | 'never') {
  const g = {
    closes: 0,
    close: () => (
      g.closes++,
      closeMs === 'never' ? new Promise<void>(() => undefined) : new Promise<void>((r) => setTimeout(r, closeMs))
    ),
  };
  return g;
}

test('one SIGTERM: graceful close, exit code 0, the listeners are gone afterwards', async () => {
  const { lines, log } = logs();
  const gw = stand(20);
  const before = process.listenerCount('SIGTERM');
  const exits: number[] = [];
  const run = runGateway(cfg, {
    log,
    exit: (c) => exits.push(c),
    start: async () => gw,
    started: () => process.emit('SIGTERM'),
  });
  assert.is(await run, 0);
  assert.is(gw.closes, 1);
  assert.equal(exits, []);
  assert.is(process.listenerCount('SIGTERM'), before);
  assert.ok(lines.some((l) => l.msg.startsWith('signal received: shutting down gracefully')));
});

test('a second signal forces the exit: 130 for SIGINT, 143 for SIGTERM', async () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    const { lines, log } = logs();
    const gw = stand('never');
    const exits: number[] = [];
    void runGateway(cfg, {
      log,
      exit: (c) => exits.push(c),
      start: async () => gw,
      started: () => process.emit(signal),
    });
    await new Promise((r) => setTimeout(r, 20));
    process.emit(signal);
    assert.equal(exits, [code]);
    assert.is(gw.closes, 1, 'the second signal does not start another shutdown');
    assert.ok(lines.some((l) => l.msg === 'second signal: exiting now without finishing the shutdown'));
    process.removeAllListeners(signal);
  }
});

test('a shutdown longer than operator.shutdown.timeoutMs exits 1', async () => {
  const { lines, log } = logs();
  const exits: number[] = [];
  void runGateway(cfg, {
    log,
    exit: (c) => exits.push(c),
    start: async () => stand('never'),
    started: () => process.emit('SIGTERM'),
  });
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(exits, [1]);
  assert.ok(lines.some((l) => l.msg === 'shutdown did not finish in time: exiting'));
  process.removeAllListeners('SIGTERM');
});

test.run();
