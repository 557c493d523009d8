// settle() waits for a process that is still working (a target working off the last step's
// backlog), returns at once for an idle one or one that is gone, and gives up after maxMs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settle } from '../../bench/procstat.ts';

/** A child that burns CPU for `spins` rounds of hashing (forever for 0), then says "done" and idles. */
function busy(spins: number): ChildProcess {
  const code = `const c = require('node:crypto'); for (let i = 0; ${spins} === 0 || i < ${spins}; i++)
    c.createHash('sha256').update(Buffer.alloc(1 << 16)).digest();
    process.stdout.write('done'); setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill();
  await once(c, 'exit');
}

test('waits while the process works and returns once it idles', async () => {
  const c = busy(20_000);
  let said = '';
  c.stdout!.on('data', (d: Buffer) => (said += d.toString()));
  try {
    const s = await settle(c.pid!, 0.05, 500, 120_000);
    assert.ok(s.settled);
    assert.is(said, 'done', 'settle() returned while the process was still busy');
  } finally {
    await stop(c);
  }
});

test('gives up after maxMs on a process that never idles, saying so', async () => {
  const c = busy(0);
  try {
    const s = await settle(c.pid!, 0.05, 200, 1000);
    assert.not.ok(s.settled);
    assert.ok(s.waitedMs >= 1000);
  } finally {
    await stop(c);
  }
});

test('a process that is gone has nothing to work off', async () => {
  const c = spawn(process.execPath, ['-e', '0']);
  await once(c, 'exit');
  assert.ok((await settle(c.pid!, 0.05, 200, 60_000)).settled);
});

test.run();
