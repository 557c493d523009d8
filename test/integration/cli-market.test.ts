// The market commands end to end against a real gateway: a seller registers and activates a
// sensor, a buyer finds it with `market list`, subscribes and streams it decrypted while the
// seller's `itrade agent` (a child process) serves the keys; a key rotation and a replay; the exit
// codes of a refusal and of an unreachable chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../cli/main.ts';
import { SimDevice } from '../../firmware-sim/device.ts';
import { fromRoot, PROJECT_ROOT } from '../../lib/paths.ts';
import { waitFor } from '../helpers/gateway.ts';
import { services } from '../helpers/services.ts';
import { startMarket, type SimMarket } from '../helpers/sim-market.ts';

let m: SimMarket;
let agent: ChildProcess | undefined;
let agentLog = '';
let agentOut = '';
let device: SimDevice | undefined;
let sensor: string;
const dir = (name: string) => join(m.dir, name);

async function itrade(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const where = [
    '--rpc-url',
    services().rpcUrl,
    '--marketplace',
    m.market.address,
    '--api',
    m.apiUrl,
    '--mqtt',
    m.mqttUrl,
  ];
  const code = await main([...argv, ...where], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

async function ok(...argv: string[]): Promise<string[]> {
  const r = await itrade(...argv);
  assert.is(r.code, 0, `itrade ${argv.join(' ')}: exit ${r.code}: ${r.err.join(' | ')}`);
  return r.out;
}

const json = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

test.before(async () => {
  m = await startMarket();
});

test.after(async () => {
  await device?.stop(1000).catch(() => undefined);
  agent?.kill('SIGTERM');
  await m?.close();
});

test('a seller registers a principal and a sensor; it is listed once active', async () => {
  const [seller] = await ok('principal', 'register', '--profile', dir('seller'));
  assert.match(seller!, /^0x[0-9a-f]{40}$/);
  [sensor] = (await ok(
    'sensor',
    'register',
    '--type',
    'temperature',
    '--lat',
    '47.3769',
    '--lon',
    '8.5417',
    '--price',
    '2 gwei',
    '--profile',
    dir('seller'),
  )) as [string];
  assert.match(sensor, /^0x[0-9a-f]{40}$/);
  const status = (await ok('sensor', 'status', sensor, '--profile', dir('seller'))).join('\n');
  assert.match(status, /status\s+inactive/);
  assert.match(status, /type\s+0 \(Temperature\)/);
  assert.match(status, new RegExp(`seller\\s+${seller}`));
  assert.match(status, /keys\s+1 \(current 1\)/);
  assert.not.ok(
    (await ok('market', 'list', '--json')).some((l) => l.includes(sensor)),
    'inactive sensors are not listed',
  );

  const [token] = await ok('sensor', 'activate', sensor, '--print-token', '--profile', dir('seller'));
  assert.match(token!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const listed = json(
    await ok(
      'market',
      'list',
      '--type',
      'temperature',
      '--max-price',
      '2 gwei',
      '--near',
      '47.37,8.54',
      '--radius',
      '2',
      '--json',
    ),
  );
  assert.is(listed.length, 1);
  assert.equal([listed[0]!.sensor, listed[0]!.price, listed[0]!.status], [sensor, '2000000000', 'active']);
  assert.ok((listed[0]!.distanceKm as number) < 2);
  for (const filter of [
    ['--type', 'humidity'],
    ['--max-price', '1 gwei'],
    ['--near', '40,0'],
  ]) {
    assert.equal(await ok('market', 'list', '--json', ...filter), [], `filtered out by ${filter.join(' ')}`);
  }
  device = await SimDevice.connect({
    url: m.mqttUrl,
    sensor,
    token: token!,
    keysDir: join(dir('seller'), 'sensor-keys'),
    sensorType: 0,
    rateHz: 5,
  });
  device.start();
});

test('a buyer subscribes and streams the sensor decrypted while the seller runs `itrade agent`', async () => {
  await ok('principal', 'register', '--profile', dir('buyer'));
  const [subscription] = await ok('subscribe', sensor, '--entries', '200', '--profile', dir('buyer'));
  assert.match(subscription!, /^0x[0-9a-f]{40}$/);
  const where = [
    '--rpc-url',
    services().rpcUrl,
    '--marketplace',
    m.market.address,
    '--api',
    m.apiUrl,
    '--mqtt',
    m.mqttUrl,
  ];
  const ready = join(dir('seller'), 'agent.ready');
  const args = ['agent', '--profile', dir('seller'), '--ready-file', ready, ...where];
  agent = spawn(process.execPath, [fromRoot('bin', 'itrade.mjs'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ITRADE_LOG_LEVEL: 'silent' },
  });
  agent.stderr!.on('data', (d: Buffer) => (agentLog += d));
  agent.stdout!.on('data', (d: Buffer) => (agentOut += d));
  // The documented signal (docs/key-exchange.md): one line on stdout, and the ready file.
  await waitFor('the key agent', () => agentOut.includes('key agent ready\n'), 30_000);
  assert.is(agentOut, 'key agent ready\n', 'nothing else on stdout');
  assert.match(agentLog, 'serving 1 sensor(s)');
  assert.equal(JSON.parse(readFileSync(ready, 'utf8')).sensors, [sensor]);

  const lines = json(await ok('stream', sensor, '--count', '3', '--profile', dir('buyer')));
  assert.is(lines.length, 3);
  for (const l of lines) assert.equal([l.sensor, l.keyId, l.type, l.unit, l.source], [sensor, 1, 0, 'Cel', 'live']);
  assert.equal(
    lines.map((l) => l.seq),
    [0, 1, 2].map((i) => (lines[0]!.seq as number) + i),
    'consecutive readings',
  );
});

test('after `sensor rotate-key` the stream carries key 2; `replay` reads history under both keys', async () => {
  assert.equal(await ok('sensor', 'rotate-key', sensor, '--profile', dir('seller')), [`${sensor} key 2`]);
  // From now: what was published before the rotation (still under key 1) is skipped.
  const lines = json(await ok('stream', sensor, '--count', '2', '--from', 'now', '--profile', dir('buyer')));
  assert.equal(
    lines.map((l) => l.keyId),
    [2, 2],
  );
  const history = json(await ok('replay', sensor, '--from', '0', '--profile', dir('buyer')));
  assert.ok(history.length >= 5, `${history.length} entries`);
  assert.equal(
    history.map((l) => l.seq),
    history.map((_, i) => i),
    'every entry from the first, in order',
  );
  assert.equal([history[0]!.keyId, history.at(-1)!.keyId], [1, 2]);
});

test('exit codes: 5 when the market refuses (no subscription), 4 when the chain is down, 2 bad usage', async () => {
  await ok('principal', 'register', '--profile', dir('stranger'));
  const refused = await itrade('stream', sensor, '--count', '1', '--profile', dir('stranger'));
  assert.is(refused.code, 5);
  assert.is(refused.err.length, 2, refused.err.join('\n')); // the progress line, then the one-line error
  assert.match(refused.err[1]!, /^itrade: .*ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED/);
  const down = await main(['market', 'list', '--rpc-url', 'http://127.0.0.1:9', '--marketplace', m.market.address], {
    out: () => undefined,
    err: () => undefined,
  });
  assert.is(down, 4);
  assert.is((await itrade('subscribe', sensor, '--entries', '0')).code, 2);
  assert.is(
    (await itrade('sensor', 'register', '--type', 'noise', '--lat', '0', '--lon', '0', '--price', '1')).code,
    2,
  );
});

test('`itrade agent --key-file` serves from key files alone: ready file, then a clean stop', async () => {
  const [token] = await ok('principal', 'token', '--profile', dir('seller'));
  const profile = JSON.parse(readFileSync(join(dir('seller'), 'profile.json'), 'utf8')) as { principal: string };
  const ready = join(m.dir, 'files-agent.ready');
  const args = [
    'agent',
    '--key-file',
    join(dir('seller'), 'principal.pem'),
    '--keys-dir',
    join(dir('seller'), 'sensor-keys'),
  ];
  const files = spawn(
    process.execPath,
    [fromRoot('bin', 'itrade.mjs'), ...args, '--seller', profile.principal, '--mqtt', m.mqttUrl, '--ready-file', ready],
    { cwd: PROJECT_ROOT, env: { ...process.env, ITRADE_LOG_LEVEL: 'silent', ITRADE_TOKEN: token! } },
  );
  let out = '';
  files.stdout!.on('data', (d: Buffer) => (out += d));
  await waitFor('the ready file', () => existsSync(ready), 30_000);
  assert.is(out, 'key agent ready\n');
  const exited = new Promise<number | null>((r) => files.once('exit', (code) => r(code)));
  files.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.not.ok(existsSync(ready));
});

test('`sensor deactivate` takes the sensor off the market; the agent stops on SIGTERM', async () => {
  assert.match((await ok('sensor', 'deactivate', sensor, '--profile', dir('seller')))[0]!, /is inactive/);
  assert.match((await ok('sensor', 'status', sensor)).join('\n'), /status\s+inactive/);
  assert.equal(await ok('market', 'list', '--json'), []);
  const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
  agent!.kill('SIGTERM');
  assert.is(await exited, 0);
  agent = undefined;
  assert.not.ok(existsSync(join(dir('seller'), 'agent.ready')), 'a stopped agent is not ready');
});

test.run();
