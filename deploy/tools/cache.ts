// A per-machine cache of the programs the deployment checks run (helm, kubeconform, promtool,
// hadolint, Node.js 24, the Kubernetes schemas): `${ITRADE_TOOLS_DIR}` or
// `${XDG_CACHE_HOME:-~/.cache}/itrade/tools/<tool>-<version>/`, outside every clone, so a fresh
// clone on the same machine (CI) reuses what an earlier one built instead of building for
// minutes. Two processes asking for the same tool at once: one installs under a lock, the other
// waits for it; the install goes to a temporary folder renamed into place when complete, so a
// killed install never looks finished.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const DONE = '.complete';

export function toolsRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ITRADE_TOOLS_DIR) return env.ITRADE_TOOLS_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'itrade', 'tools');
}

export interface Installed {
  /** The tool's folder: `<root>/<name>-<version>`. */
  dir: string;
  /** True when this call installed it; false when it was in the cache already. */
  fresh: boolean;
  /** Milliseconds this call spent (waiting for another installer included). */
  ms: number;
}

/**
 * The folder of `name` at `version`, installing it with `install(tmpDir)` when it is not cached.
 * `install` fills tmpDir; it is renamed to the final folder only when install resolves.
 */
export async function cachedInstall(
  name: string,
  version: string,
  install: (tmpDir: string) => Promise<void>,
  root = toolsRoot(),
): Promise<Installed> {
  const t0 = Date.now();
  const dir = join(root, `${name}-${version}`);
  if (existsSync(join(dir, DONE))) return { dir, fresh: false, ms: Date.now() - t0 };
  mkdirSync(root, { recursive: true });
  const release = await lock(`${dir}.lock`);
  try {
    // Whoever held the lock before us may have finished it.
    if (existsSync(join(dir, DONE))) return { dir, fresh: false, ms: Date.now() - t0 };
    const tmp = `${dir}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await install(tmp);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    writeFileSync(join(tmp, DONE), `${name} ${version} installed ${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { dir, fresh: true, ms: Date.now() - t0 };
  } finally {
    release();
  }
}

/** mkdir is atomic: the process that creates the folder holds the lock. A dead holder's lock is taken over. */
async function lock(path: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (holderGone(path)) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    await sleep(250);
  }
}

function holderGone(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
  } catch {
    // Just created (the pid follows at once) or just released; a holder that died between the
    // two left a folder without a pid, which is stale after a few seconds.
    try {
      return Date.now() - statSync(path).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
