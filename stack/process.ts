// Detached service processes with a record on disk, so `stack down` from another shell finds
// and stops exactly what `stack up` started, and never a stranger that reused the pid.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRecord {
  pid: number;
  /** A string the process's command line must contain for the pid to still be ours. */
  marker: string;
  ports: Record<string, number>;
  endpoint: string;
  logFile: string;
  startedAt: string;
}

export function spawnDetached(
  cmd: string,
  args: string[],
  opts: { logFile: string; cwd: string; env?: NodeJS.ProcessEnv },
): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    // detached: own process group, so stopping the group leaves no child behind.
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${cmd} could not be started`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function readRecord(file: string): ProcessRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(file: string, rec: ProcessRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(rec, null, 2) + '\n');
}

export function removeRecord(file: string): void {
  rmSync(file, { force: true });
}

/** True when the pid is alive and its command line still carries our marker. */
export function isOurs(rec: ProcessRecord | undefined): rec is ProcessRecord {
  // pid 0 marks a stopped service (kill(0) would signal our own process group).
  if (!rec || rec.pid <= 0 || !isAlive(rec.pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(rec.marker);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Alive and not a zombie (a zombie answers kill(0) until its parent reaps it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM the process group, wait up to graceMs, then SIGKILL. Resolves once the pid is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
