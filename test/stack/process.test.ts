// Process records: a started service is found again, a reused pid is not ours, stop leaves
// nothing behind (children included).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  isAlive as alive,
  isOurs,
  readRecord,
  spawnDetached,
  stopProcess,
  tail,
  writeRecord,
  type ProcessRecord,
} from '../../stack/process.ts';
import { freePort, isPortFree } from '../../stack/ports.ts';
import { createServer } from 'node:net';

const dir = mkdtempSync(join(tmpdir(), 'itrade-proc-'));

/** Polls `check` until it holds (true) or 10 s pass (false): a process starts or ends when it does. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < 10_000; await new Promise((r) => setTimeout(r, 20)))
    if (check()) return true;
  return check();
}

const readPid = (file: string): number => {
  try {
    return Number(execFileSync('cat', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return 0;
  }
};

test('spawn, record, find again, stop the whole group', async () => {
  const script = join(dir, 'svc.sh');
  // The service forks a child; stopping the service must stop the child too.
  writeFileSync(script, '#!/bin/sh\necho started\nsleep 300 &\necho $! > ' + join(dir, 'child.pid') + '\nwait\n', {
    mode: 0o755,
  });
  const logFile = join(dir, 'svc.log');
  const pid = spawnDetached('/bin/sh', [script], { logFile, cwd: dir });
  const rec: ProcessRecord = {
    pid,
    marker: script,
    ports: {},
    endpoint: 'x',
    logFile,
    startedAt: new Date().toISOString(),
  };
  writeRecord(join(dir, 'rec.json'), rec);
  assert.equal(readRecord(join(dir, 'rec.json')), rec);
  assert.ok(await eventually(() => readPid(join(dir, 'child.pid')) > 0), 'the service did not start its child');
  assert.ok(isOurs(rec));
  assert.match(tail(logFile), /started/);
  const childPid = readPid(join(dir, 'child.pid'));
  assert.ok(alive(childPid));
  assert.is(await stopProcess(pid, 5000), 'stopped');
  assert.not.ok(isOurs(rec));
  assert.ok(await eventually(() => !alive(childPid)), 'child of the service survived');
});

test('a live pid with another command line is not ours', () => {
  const rec: ProcessRecord = {
    pid: process.pid,
    marker: 'definitely-not-this-process',
    ports: {},
    endpoint: '',
    logFile: '',
    startedAt: '',
  };
  assert.not.ok(isOurs(rec));
  assert.not.ok(isOurs(undefined));
});

test('a corrupt record reads as none', () => {
  writeFileSync(join(dir, 'bad.json'), '{not json');
  assert.is(readRecord(join(dir, 'bad.json')), undefined);
  assert.is(readRecord(join(dir, 'missing.json')), undefined);
});

test('free ports are free, taken ports are not', async () => {
  const port = await freePort();
  assert.ok(port > 0);
  assert.ok(await isPortFree(port));
  const srv = createServer().listen(port, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  assert.not.ok(await isPortFree(port));
  await new Promise((r) => srv.close(r));
});

test.run();
