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
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(isOurs(rec));
  assert.match(tail(logFile), /started/);
  const childPid = Number(execFileSync('cat', [join(dir, 'child.pid')], { encoding: 'utf8' }).trim());
  assert.ok(alive(childPid));
  assert.is(await stopProcess(pid, 5000), 'stopped');
  await new Promise((r) => setTimeout(r, 200));
  assert.not.ok(isOurs(rec));
  assert.not.ok(alive(childPid), 'child of the service survived');
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
