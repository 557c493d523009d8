// The tool cache: one install however many ask at once, nothing left behind by a failed install,
// a lock of a dead installer taken over, and the cache outside the clone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cachedInstall, toolsRoot } from '../../deploy/tools/cache.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const root = mkdtempSync(join(tmpdir(), 'itrade-tools-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the cache lives outside the clone: ITRADE_TOOLS_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
  assert.is(toolsRoot({ ITRADE_TOOLS_DIR: '/opt/t' }), '/opt/t');
  assert.is(toolsRoot({ XDG_CACHE_HOME: '/var/cache/x' }), '/var/cache/x/itrade/tools');
  assert.ok(toolsRoot({ HOME: '/home/ci' }).endsWith('/.cache/itrade/tools'));
  assert.not.ok(toolsRoot().startsWith(PROJECT_ROOT), 'not inside the clone');
});

test('three callers at once: one install, all get the finished folder', async () => {
  let installs = 0;
  const slow = async (dir: string) => {
    installs++;
    await sleep(300);
    writeFileSync(join(dir, 'prog'), 'v1');
  };
  const all = await Promise.all([1, 2, 3].map(() => cachedInstall('prog', '1.0', slow, root)));
  assert.is(installs, 1);
  assert.equal(all.map((r) => r.fresh).sort(), [false, false, true]);
  for (const r of all) assert.is(readFileSync(join(r.dir, 'prog'), 'utf8'), 'v1');
  assert.equal(readdirSync(root).sort(), ['prog-1.0'], 'no lock or partial folder left');
  const again = await cachedInstall('prog', '1.0', () => Promise.reject(new Error('must not run')), root);
  assert.is(again.fresh, false);
});

test('a failed install throws and leaves nothing that looks installed; the next call installs', async () => {
  const err = await cachedInstall(
    'broken',
    '2',
    async (dir) => {
      writeFileSync(join(dir, 'half'), 'x');
      throw new Error('download cut');
    },
    root,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.match(String(err), /download cut/);
  assert.not.ok(existsSync(join(root, 'broken-2')));
  assert.equal(
    readdirSync(root).filter((f) => f.startsWith('broken')),
    [],
  );
  const ok = await cachedInstall('broken', '2', async (dir) => writeFileSync(join(dir, 'whole'), 'y'), root);
  assert.ok(ok.fresh && existsSync(join(ok.dir, 'whole')));
});

test('a lock left by an installer that died is taken over', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  mkdirSync(join(root, 'orphan-1.lock'));
  writeFileSync(join(root, 'orphan-1.lock', 'pid'), dead.stdout);
  const r = await cachedInstall('orphan', '1', async (dir) => writeFileSync(join(dir, 'p'), 'z'), root);
  assert.ok(r.fresh);
  assert.not.ok(existsSync(join(root, 'orphan-1.lock')));
});

test.run();
