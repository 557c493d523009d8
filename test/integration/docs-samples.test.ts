// Every TypeScript and JavaScript sample of docs/*.md and sdk/README.md, run as a reader would run
// it (`npx tsx sample.ts` in the project folder, importing the SDK as 'itrade/sdk'), against a real
// gateway on the test stack: a fresh marketplace, a seller with an active sensor, its key agent,
// a subscribed buyer, given to the samples in the variables sdk/README.md documents ("Running
// the samples"). A sample passes when it exits 0. Shell samples: docs-shell.test.ts.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRoot, PROJECT_ROOT } from '../../lib/paths.ts';
import { login } from '../../participant/market-ops.ts';
import type { KeyAgent } from '../../sdk/node.ts';
import { blocksOf, brokenMarkers, docFiles, runnable, type DocBlock } from '../helpers/doc-samples.ts';
import { agent, buyer, seller, startMarket, type SimMarket } from '../helpers/sim-market.ts';
import { services, unique } from '../helpers/services.ts';

const all = docFiles().flatMap((d) => blocksOf(d));
const samples = all.filter((b) => runnable(b) && (b.lang === 'ts' || b.lang === 'js'));
const dir = fromRoot('.cache', 'docs-samples', unique('run'));
let m: SimMarket;
let keyAgent: KeyAgent;
let env: NodeJS.ProcessEnv;

test.before(async () => {
  m = await startMarket();
  const s = await seller(m, 'seller', [0]);
  const b = await buyer(m, 'buyer', [[s.sensors[0]!.sensor, 1000]]);
  keyAgent = await agent(m, s);
  env = {
    ...process.env,
    ITRADE_MQTT_URL: m.mqttUrl,
    ITRADE_API_URL: m.apiUrl,
    ITRADE_RPC_URL: services().rpcUrl,
    ITRADE_MARKETPLACE: m.market.address,
    ITRADE_SENSOR: s.sensors[0]!.sensor,
    ITRADE_SENSOR_TOKEN: s.sensors[0]!.token,
    ITRADE_SENSOR_KEYS: s.keys.dir,
    ITRADE_SELLER: s.principal,
    ITRADE_SELLER_TOKEN: await login(m.ctx, s.profile),
    ITRADE_SELLER_KEY: s.profile.principalKeyFile,
    ITRADE_SELLER_KEYS: s.keys.dir,
    ITRADE_BUYER: b.principal(),
    ITRADE_BUYER_TOKEN: await login(m.ctx, b),
    ITRADE_BUYER_KEY: b.principalKeyFile,
    ITRADE_BUYER_KEYS: b.buyerKeys().dir,
    ITRADE_BUYER_ACCOUNT_KEY: b.data.account.privateKey!,
    ITRADE_SAMPLE_LIVE_MS: '5000',
  };
  mkdirSync(dir, { recursive: true });
});

test.after(async () => {
  await keyAgent?.stop().catch(() => undefined);
  await m?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the harness sees the samples: blocks to run by default, every marker names a test that exists', () => {
  assert.equal(brokenMarkers(all), []);
  for (const b of all.filter((x) => x.notRun)) assert.match(b.notRun!, /: \S/, `${b.doc}:${b.line} says why`);
  const where = (b: DocBlock) => `${b.doc}:${b.line}`;
  assert.ok(
    samples.some((b) => b.doc === 'sdk/README.md'),
    samples.map(where).join(', '),
  );
  assert.ok(samples.some((b) => b.doc === 'docs/replay.md'));
  // A block without a marker runs: the same text with one more unmarked block has one more sample.
  const text = '# t\n\n```ts\nconsole.log(1);\n```\n\n*Not run by the docs test: a sketch.*\n\n```ts\nx\n```\n';
  assert.equal(
    blocksOf('t.md', text).map((b) => runnable(b)),
    [true, false],
  );
});

// Asynchronously: the gateway runs in this process and must answer while the sample runs.
function run(b: DocBlock): Promise<{ code: number | null; out: string }> {
  const file = join(dir, `${b.doc.replace(/[/.]/g, '-')}-${b.line}.${b.lang === 'ts' ? 'ts' : 'mjs'}`);
  writeFileSync(file, b.code);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: PROJECT_ROOT, env, timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

for (const b of samples) {
  test(`${b.doc}:${b.line} (${b.lang}) runs`, async () => {
    const r = await run(b);
    assert.is(r.code, 0, `${b.doc}:${b.line} exited ${r.code}:\n${r.out}`);
  });
}

// The samples in the order of their docs: the device's readings are the history the buyer's
// subscription delivers from its start (no separate replay: it would count them again).
test('the buyer sample read the readings of the device sample', async () => {
  const device = samples.find((b) => b.doc === 'sdk/README.md' && b.code.includes('Device.connect'))!;
  const buyerSample = samples.find((b) => b.doc === 'sdk/README.md' && b.code.includes('Buyer.connect'))!;
  assert.match((await run(device)).out, /reading 2 stored by the gateway, sealed with key 1/);
  const out = (await run(buyerSample)).out;
  assert.match(out, /^keys of 0x[0-9a-f]{40}: 1$/m);
  assert.match(out, /^live 0x[0-9a-f]{40} key 1: #2 21\.2 Cel$/m);
});

test.run();
