// The stack manager on real processes: up starts and waits until each service answers, up
// twice is harmless, status reports health, down leaves no process behind, and an existing
// service named in the configuration is used instead of starting one (here: the test Kafka).
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { createLogger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { isAlive } from '../../stack/process.ts';
import { LocalStack } from '../../stack/stack.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const log = createLogger({ level: 'silent' });

async function makeStack(overrides: { redisPort?: number } = {}): Promise<LocalStack> {
  const cfg = validateConfig(
    {
      kafka: { brokers: svc.kafkaBrokers },
      stack: {
        dir: mkdtempSync(join(tmpdir(), 'itrade-stack-')),
        startTimeoutMs: 30_000,
        redis: { port: overrides.redisPort ?? 0, appendOnly: false },
        chain: { port: 0, persistState: true },
      },
    },
    'stack test',
  );
  return new LocalStack(cfg, log);
}

test('up, up again, status, down', async () => {
  const stack = await makeStack();
  try {
    await lifecycle(stack);
  } finally {
    await stack.down();
  }
});

async function lifecycle(stack: LocalStack): Promise<void> {
  const first = await stack.up();
  assert.equal(
    first.map((s) => [s.name, s.mode, s.healthy]),
    [
      ['redis', 'local', true],
      ['kafka', 'external', true],
      ['chain', 'local', true],
    ],
    JSON.stringify(first),
  );
  assert.match(first[0]!.detail, /started; PONG/);
  assert.match(first[2]!.detail, /chainId 31337/);
  const pids = first.filter((s) => s.mode === 'local').map((s) => s.pid!);

  const second = await stack.up();
  assert.equal(
    second.filter((s) => s.mode === 'local').map((s) => s.pid),
    pids,
    'up twice started new processes',
  );
  assert.match(second[0]!.detail, /already running/);

  const status = await stack.status();
  assert.ok(status.every((s) => s.healthy));
  assert.equal(stack.endpoints().kafkaBrokers, svc.kafkaBrokers);
  assert.match(stack.endpoints().redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);

  const stopped = await stack.down();
  assert.is(stopped.length, 2);
  for (const pid of pids) assert.not.ok(isAlive(pid), `pid ${pid} still running`);
  const after = await stack.status();
  assert.equal(
    after.map((s) => [s.name, s.healthy, s.detail]).filter(([n]) => n !== 'kafka'),
    [
      ['redis', false, 'stopped'],
      ['chain', false, 'stopped'],
    ],
  );
  assert.equal(await stack.down(), []);

  const again = await stack.up();
  assert.ok(
    again.every((s) => s.healthy),
    JSON.stringify(again),
  );
  assert.equal(
    again.map((s) => s.endpoint),
    first.map((s) => s.endpoint),
    'a restart moved to other ports',
  );
}

test('a taken port is reported with its configuration key, nothing is left running', async () => {
  const port = await freePort();
  const blocker = createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const stack = await makeStack({ redisPort: port });
  try {
    const res = await stack.up();
    const redis = res.find((s) => s.name === 'redis')!;
    assert.not.ok(redis.healthy);
    assert.is(redis.error?.code, 'ITRADE_ERR_STACK_PORT_IN_USE');
    assert.match(redis.detail, new RegExp(`port ${port} \\(stack\\.redis\\.port\\) is in use`));
  } finally {
    await stack.down();
    await new Promise((r) => blocker.close(r));
  }
});

test('an unreachable external service is reported, not started', async () => {
  const deadPort = await freePort();
  const cfg = validateConfig(
    {
      redis: { url: `redis://127.0.0.1:${deadPort}` },
      kafka: { brokers: svc.kafkaBrokers },
      chain: { rpcUrl: svc.rpcUrl },
      stack: { dir: mkdtempSync(join(tmpdir(), 'itrade-stack-')) },
    },
    't',
  );
  const stack = new LocalStack(cfg, log);
  const res = await stack.up().finally(() => stack.down());
  const redis = res.find((s) => s.name === 'redis')!;
  assert.is(redis.mode, 'external');
  assert.is(redis.error?.code, 'ITRADE_ERR_STACK_UNREACHABLE');
  assert.ok(res.filter((s) => s.name !== 'redis').every((s) => s.healthy && s.mode === 'external'));
});

test.run();
