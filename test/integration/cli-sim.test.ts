// `itrade sim` as a user runs it (the real binary in a child process) against a real gateway:
// a small market is provisioned, devices publish, buyers decrypt live and replayed readings
// across a key rotation, and the verdict says every reading was decrypted and verified. A second
// run reuses what the first one made.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRoot, PROJECT_ROOT } from '../../lib/paths.ts';
import { services } from '../helpers/services.ts';
import { startMarket, type SimMarket } from '../helpers/sim-market.ts';

let m: SimMarket;

test.before(async () => {
  m = await startMarket();
});

test.after(async () => {
  await m?.close();
});

function itrade(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fromRoot('bin', 'itrade.mjs'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ITRADE_LOG_LEVEL: 'silent' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const where = () => [
  '--rpc-url',
  services().rpcUrl,
  '--marketplace',
  m.market.address,
  '--api',
  m.apiUrl,
  '--mqtt',
  m.mqttUrl,
  '--data-dir',
  join(m.dir, 'sim'),
];

function numbers(out: string, re: RegExp): number[] {
  const hit = re.exec(out);
  assert.ok(hit, `no line matching ${re} in:\n${out}`);
  return hit.slice(1).map(Number);
}

test('itrade sim: 2 devices, 2 buyers, live + replay across a key rotation, all verified', async () => {
  const r = await itrade([
    'sim',
    '--devices',
    '2',
    '--buyers',
    '2',
    '--sensors-per-buyer',
    '2',
    '--rate',
    '5',
    '--duration',
    '3',
    '--rotate-every',
    '1.5',
    '--replay',
    ...where(),
  ]);
  assert.is(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
  assert.match(r.out, /^\[\s+\d+ s\] devices 2: sent \d+/m, 'progress lines with counts and rates');
  assert.match(r.out, /rotated the keys of 2 sensor\(s\): devices now seal with key 2/);
  const [sent, acked] = numbers(r.out, /devices: 2, sent (\d+) readings, (\d+) acknowledged/);
  const [live, replayed, failed, missing] = numbers(
    r.out,
    /buyers: 2, decrypted (\d+) live and (\d+) replayed readings, (\d+) not decrypted, (\d+) missing/,
  );
  assert.ok(sent! >= 20, `sent ${sent}`);
  assert.is(acked, sent);
  assert.is(live, 2 * acked!, 'each buyer reads both sensors');
  assert.is(replayed, live);
  assert.equal([failed, missing], [0, 0]);
  assert.match(r.out, /^verified: every acknowledged reading was decrypted and checked/m);
});

test('a second run reuses the provisioned market from the data folder', async () => {
  const r = await itrade(['sim', '--devices', '2', '--buyers', '2', '--rate', '5', '--duration', '1', ...where()]);
  assert.is(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
  assert.match(r.out, /new: 0 principals, 0 sensors, 0 subscriptions/);
  assert.match(r.out, /^verified:/m);
});

test.run();
