// What can be checked of the container image without a container engine: its steps reproduced
// in a temporary folder. The files `COPY . .` takes (git's files less .dockerignore), the
// production dependencies `npm ci --omit=dev` installs, and Node.js 24 (the image's version,
// from npm) running them as uid 1000 when the test runs as root, with the image's own
// configuration file and only environment variables: `itrade --help` loads every command (so no
// dev dependency or excluded folder is imported), `config check` names a missing secret, the
// gateway becomes ready against the test stack and serves the web app (built as the Dockerfile's
// web stage does), the Dockerfile's HEALTHCHECK command passes,
// and SIGTERM ends it gracefully with exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tool } from '../../deploy/tools/tools.ts';
import { PROJECT_ROOT, fromRoot } from '../../lib/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { buildWebApp } from '../../web/build.ts';
import { imageFiles, runTool } from '../helpers/deploy.ts';
import { Market } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const work = mkdtempSync(join(tmpdir(), 'itrade-image-'));
const app = join(work, 'app');
const nodeBin = join(work, 'node', 'bin', 'node');
const asRoot = process.getuid?.() === 0;
// The image's user: uid/gid 1000 (USER 1000:1000), who owns nothing under /app.
const user = asRoot ? { uid: 1000, gid: 1000 } : {};
let market: Market;
let gateway: ChildProcess | undefined;

test.before(async () => {
  chmodSync(work, 0o755);
  for (const f of imageFiles()) {
    mkdirSync(dirname(join(app, f)), { recursive: true });
    cpSync(join(PROJECT_ROOT, f), join(app, f));
  }
  // The Dockerfile's web stage: the same sources, built with the development dependencies.
  await buildWebApp(join(app, 'dist', 'web'));
  mkdirSync(dirname(nodeBin), { recursive: true });
  cpSync(await tool('node24'), nodeBin);
  market = await Market.deploy(svc.rpcUrl);
});

test.after(async () => {
  if (gateway?.exitCode === null) gateway.kill('SIGKILL');
  market?.close();
  rmSync(work, { recursive: true, force: true });
});

function itrade(args: string[], env: NodeJS.ProcessEnv) {
  return runTool(nodeBin, ['bin/itrade.mjs', ...args], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: work, ...env },
  });
}

test('npm ci --omit=dev installs the runtime dependencies and no dev dependency', async () => {
  const r = await runTool('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: app });
  assert.is(r.code, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies))
    assert.ok(existsSync(join(app, 'node_modules', dep, 'package.json')), `${dep} installed`);
  // What the lockfile marks dev-only (the dev dependencies and what only they pull in; @types/node
  // stays, ethers and mqtt depend on it).
  const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([p, v]) => p.startsWith('node_modules/') && v.dev)
    .map(([p]) => p);
  for (const p of ['typescript', 'uvu', 'solc', '@foundry-rs/anvil'])
    assert.ok(devOnly.includes(`node_modules/${p}`), `${p} is dev-only`);
  assert.equal(
    devOnly.filter((p) => existsSync(join(app, p))),
    [],
    'no dev-only package installed',
  );
});

test('Node.js 24 runs `itrade --help` from it: every command module loads without dev dependencies', async () => {
  const v = await runTool(nodeBin, ['--version']);
  assert.match(v.stdout, /^v24\./);
  const r = await itrade(['--help'], {});
  assert.is(r.code, 0, r.stderr);
  for (const cmd of ['gateway', 'deploy', 'config', 'sim']) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
  const g = await itrade(['gateway', '--help'], {});
  assert.is(g.code, 0, g.stderr);
  assert.match(g.stdout, /SIGTERM/);
});

const secret = () => unique('jwt-secret-for-the-image-test-0123456789');

test(
  'the image configuration checks out from the environment, ' + 'and names the key whose variable is missing',
  async () => {
    const env = {
      ITRADE_REDIS_URL: svc.redisUrl,
      ITRADE_KAFKA_BROKERS: svc.kafkaBrokers.join(','),
      ITRADE_RPC_URL: svc.rpcUrl,
    };
    const ok = await itrade(['config', 'check', 'deploy/container/itrade.yaml'], {
      ...env,
      ITRADE_JWT_SECRET: secret(),
    });
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok/);
    const missing = await itrade(['config', 'check', 'deploy/container/itrade.yaml'], env);
    assert.is(missing.code, 3);
    assert.match(
      missing.stderr,
      /broker\.auth\.jwt\.secret: environment variable ITRADE_JWT_SECRET is not set \[ITRADE_ERR_CONFIG_ENV\]/,
    );
  },
);

/** The Dockerfile's HEALTHCHECK command, as Docker would run it inside the container. */
function healthcheck(): string[] {
  const df = readFileSync(fromRoot('deploy', 'Dockerfile'), 'utf8');
  const m = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(df);
  if (!m) throw new Error('no HEALTHCHECK ... CMD [...] in deploy/Dockerfile');
  return JSON.parse(m[1]!) as string[];
}

async function get(url: string): Promise<number> {
  return fetch(url).then(
    (r) => r.status,
    () => 0,
  );
}

test('the gateway from the production install: ready, healthy by the HEALTHCHECK, graceful on SIGTERM', async () => {
  const ports = { op: await freePort(), mqtt: await freePort(), ws: await freePort(), http: await freePort() };
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    NODE_ENV: 'production',
    ITRADE_CONFIG: join(app, 'deploy', 'container', 'itrade.yaml'),
    ITRADE_REDIS_URL: svc.redisUrl,
    ITRADE_REDIS_KEY_PREFIX: `${unique('img')}:`,
    ITRADE_KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    ITRADE_KAFKA_TOPIC_PREFIX: `${unique('img')}.`,
    ITRADE_RPC_URL: svc.rpcUrl,
    ITRADE_MARKETPLACE: market.address,
    ITRADE_MARKETPLACE_BLOCK: String(market.deployBlock),
    ITRADE_JWT_SECRET: secret(),
    ITRADE_LOG_LEVEL: 'info',
    ITRADE_OPERATOR_PORT: String(ports.op),
    ITRADE_MQTT_PORT: String(ports.mqtt),
    ITRADE_WS_PORT: String(ports.ws),
    ITRADE_HTTP_PORT: String(ports.http),
  };
  const child = spawn(nodeBin, ['bin/itrade.mjs', 'gateway'], {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  gateway = child;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${ports.op}`;
  const deadline = Date.now() + 90_000;
  while ((await get(`${base}/readyz`)) !== 200) {
    assert.ok(child.exitCode === null && Date.now() < deadline, `the gateway did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The log line travels a pipe (pino writes asynchronously): it may come just after /readyz.
  while (!/"msg":"gateway started"/.test(out)) {
    assert.ok(Date.now() < deadline, `ready, but no "gateway started" line:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.is(await get(`http://127.0.0.1:${ports.http}/app/`), 200, 'the web app is served');
  const [cmd, ...args] = healthcheck();
  const hcEnv = { PATH: `${dirname(nodeBin)}:${process.env.PATH}`, ITRADE_OPERATOR_PORT: String(ports.op) };
  assert.is((await runTool(cmd === 'node' ? nodeBin : cmd!, args, { env: hcEnv })).code, 0, 'HEALTHCHECK passes');
  child.kill('SIGTERM');
  assert.is(await exited, 0, out);
  assert.match(out, /"msg":"gateway stopped"/);
  assert.is.not((await runTool(nodeBin, args, { env: hcEnv })).code, 0, 'HEALTHCHECK fails once the gateway is gone');
});

test.run();
