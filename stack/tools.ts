// Finding and installing the programs the local stack runs. A missing program gets one clear
// line that names the Debian package, never a spawn ENOENT.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';

const run = promisify(execFile);

export function which(
  cmd: string,
  extraDirs: string[] = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/sbin'],
): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** Installs a Debian package when we run as root on a Debian-like system; otherwise says how. */
export async function aptInstall(pkg: string, provides: string, log: Logger): Promise<string> {
  const found = which(provides);
  if (found) return found;
  const apt = which('apt-get');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!apt || !isRoot) {
    throw itradeError(
      'STACK_TOOL_MISSING',
      `${provides} not found: install Debian's package ${pkg} (sudo apt-get install -y ${pkg}) or point the ` +
        `configuration at an existing service`,
    );
  }
  log.info({ pkg }, 'installing Debian package');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run(apt, ['install', '-y', '--no-install-recommends', pkg], { env, maxBuffer: 64 << 20 });
  try {
    await install();
  } catch {
    // A fresh image often has no package lists yet.
    await run(apt, ['update'], { env, maxBuffer: 64 << 20 }).catch(() => undefined);
    await install().catch((err: unknown) => {
      throw itradeError('STACK_INSTALL', `apt-get install ${pkg} failed`, { cause: err });
    });
  }
  const after = which(provides);
  if (!after) throw itradeError('STACK_INSTALL', `apt-get installed ${pkg} but ${provides} is still not on PATH`);
  return after;
}

export async function javaMajorVersion(java: string): Promise<number> {
  const { stderr, stdout } = await run(java, ['-version']);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

export { run as execFileAsync };
