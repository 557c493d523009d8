// Every `itrade` command against the real test stack: its happy path and one bad input, with
// the exit code docs/cli.md promises. In-process (cli/main.ts) where the command returns, in a
// child process (bin/itrade.mjs) for the long-running gateway.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../cli/main.ts';
import { fromRoot } from '../../lib/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { chainProvider, fundedWallet } from '../helpers/chain.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const dir = mkdtempSync(join(tmpdir(), 'itrade-cli-it-'));
const SECRET = 'cli-integration-secret-at-least-32-bytes';

function configFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  const cfg = {
    log: { level: 'info' },
    redis: { url: svc.redisUrl, keyPrefix: `${unique('cli')}:` },
    kafka: { brokers: svc.kafkaBrokers },
    chain: { rpcUrl: svc.rpcUrl, deploymentFile: join(dir, `${name}-deployment.json`) },
    broker: {
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { host: '127.0.0.1', port: 0 } },
      http: { port: 0 },
      auth: { jwt: { secret: SECRET }, devSecret: false },
    },
    operator: { http: { port: 0 } },
    ...extra,
  };
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('stack status: every service answers (exit 0); a dead one is exit 4', async () => {
  const ok = await run('--config', configFile('status'), 'stack', 'status');
  assert.is(ok.code, 0, ok.out.join('\n'));
  assert.is(ok.out.filter((l) => / ok {3}external/.test(l)).length, 3);
  const dead = await run(
    '--config',
    configFile('status-dead', { redis: { url: `redis://127.0.0.1:${await freePort()}` } }),
    'stack',
    'status',
  );
  assert.is(dead.code, 4);
  assert.match(
    dead.out.find((l) => l.startsWith('redis'))!,
    /FAIL/,
  );
});

test('deploy: progress while the chain works, the record written (exit 0); a dead node is exit 4', async () => {
  const wallet = await fundedWallet(chainProvider());
  process.env.ITRADE_DEPLOYER_KEY = wallet.privateKey;
  try {
    const file = configFile('deploy');
    const r = await run('--config', file, 'deploy');
    assert.is(r.code, 0, r.err.join('\n'));
    assert.match(r.err[0]!, /^asking http:\/\/127\.0\.0\.1:\d+ for its chain id \.\.\.$/);
    assert.match(
      r.err[1]!,
      new RegExp(
        `^chain 31337: sending the DataMarketplace deployment from ${wallet.address} and waiting for it to be ` +
          `mined \\.\\.\\.$`,
      ),
    );
    assert.match(r.err[2]!, /^mined in block \d+/);
    assert.match(r.out[0]!, /^DataMarketplace 0x[0-9a-fA-F]{40} on chain 31337/);
    const record = JSON.parse(readFileSync(join(dir, 'deploy-deployment.json'), 'utf8')) as { deployer: string };
    assert.is(record.deployer, wallet.address);
    const dead = await run('--config', file, 'deploy', '--rpc-url', `http://127.0.0.1:${await freePort()}`);
    assert.is(dead.code, 4);
    assert.is(dead.err.filter((l) => l.startsWith('itrade: ')).length, 1);
    assert.match(dead.err.at(-1)!, /does not answer eth_chainId.*\[ITRADE_ERR_CHAIN_RPC\]/);
  } finally {
    delete process.env.ITRADE_DEPLOYER_KEY;
  }
});

test('operator-token with the development secret: exit 3 until a gateway made one, then a token', async () => {
  const keyPrefix = `${unique('cli')}:`;
  const file = configFile('devsecret', {
    redis: { url: svc.redisUrl, keyPrefix },
    broker: { auth: { devSecret: true } },
  });
  const none = await run('--config', file, 'operator-token');
  assert.is(none.code, 3);
  assert.match(none.err[0]!, /no development JWT secret in Redis yet.*\[ITRADE_ERR_AUTH_CONFIG\]$/);
  const redis = new Redis(svc.redisUrl);
  await redis.set(`${keyPrefix}dev:jwt-secret`, 'a-development-secret-of-at-least-32-bytes', 'EX', 60);
  await redis.quit();
  const r = await run('--config', file, 'operator-token', 'ops');
  assert.is(r.code, 0);
  assert.match(r.out[0]!, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
});

function spawnGateway(file: string): {
  lines: string[];
  started: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  kill: (s: NodeJS.Signals) => void;
} {
  const proc = spawn(process.execPath, [fromRoot('bin', 'itrade.mjs'), 'gateway', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
  const started = new Promise<Record<string, unknown>>((resolve) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      const e = JSON.parse(line) as Record<string, unknown>;
      if (e.msg === 'gateway started') resolve(e);
    });
  });
  return { lines, started, exited, kill: (s) => proc.kill(s) };
}

test('gateway: starts, says where it listens, answers /healthz, stops on SIGINT with exit 0', async () => {
  const gw = spawnGateway(configFile('gateway'));
  const started = await Promise.race([
    gw.started,
    gw.exited.then((c) => Promise.reject(new Error(`exited ${c}: ${gw.lines.join('\n')}`))),
  ]);
  const ports = started as { mqtt: { tcp: number; ws: number }; http: number; operator: number };
  assert.ok(ports.mqtt.tcp > 0 && ports.mqtt.ws > 0 && ports.http > 0 && ports.operator > 0);
  assert.is((await fetch(`http://127.0.0.1:${ports.operator}/healthz`)).status, 200);
  gw.kill('SIGINT');
  assert.is(await gw.exited, 0);
  assert.ok(gw.lines.some((l) => l.includes('"msg":"gateway stopped"')));
});

test('gateway: a port already taken is exit 1 with one line naming the listener', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as AddressInfo).port;
  const gw = spawnGateway(
    configFile('taken', {
      broker: {
        listeners: { tcp: { host: '127.0.0.1', port }, ws: { enabled: false } },
        http: { port: 0 },
        auth: { jwt: { secret: SECRET }, devSecret: false },
      },
    }),
  );
  assert.is(await gw.exited, 1);
  const errors = gw.lines.filter((l) => l.startsWith('itrade: '));
  assert.equal(errors.length, 1, gw.lines.join('\n'));
  assert.match(
    errors[0]!,
    new RegExp(`broker\\.listeners\\.tcp: cannot listen on 127\\.0\\.0\\.1:${port} \\[ITRADE_ERR_BROKER_LISTENER\\]`),
  );
  assert.not.ok(
    gw.lines.some((l) => /\n\s+at /.test(l) || /^\s+at /.test(l)),
    'no stack trace without --verbose',
  );
  await new Promise((r) => blocker.close(r));
});

test.run();
