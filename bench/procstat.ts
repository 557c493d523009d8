// CPU time and resident memory of a process, from /proc (Linux), sampled during a run.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
}

export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a pid every second; stop() returns the CPU share (1.0 = one core) and peak RSS. */
export function watchProc(pid: number): { stop(): { cpuCores: number; peakRssBytes: number; lastRssBytes: number } } {
  const first = sampleProc(pid);
  const t0 = Date.now();
  let peak = first?.rssBytes ?? 0;
  let last = first;
  const timer = setInterval(() => {
    last = sampleProc(pid) ?? last;
    if (last) peak = Math.max(peak, last.rssBytes);
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      last = sampleProc(pid) ?? last;
      const secs = (Date.now() - t0) / 1000;
      const cpu = first && last ? (last.cpuSeconds - first.cpuSeconds) / secs : Number.NaN;
      return { cpuCores: cpu, peakRssBytes: Math.max(peak, last?.rssBytes ?? 0), lastRssBytes: last?.rssBytes ?? 0 };
    },
  };
}

export interface ProcsUsage {
  /** CPU of all the processes together, in cores (1.0 = one core busy) */
  cpuCores: number;
  /** CPU seconds they used between start and stop */
  cpuSeconds: number;
  /** the sum of each process's peak RSS */
  peakRssBytes: number;
}

/**
 * watchProc over several processes (a gateway of three instances): CPU summed, peaks summed.
 * stop() may be called again later: each call measures from the start.
 */
export function watchProcs(pids: readonly number[]): { stop(): ProcsUsage } {
  const t0 = Date.now();
  const watches = pids.map((pid) => watchProc(pid));
  return {
    stop() {
      const secs = (Date.now() - t0) / 1000;
      const each = watches.map((w) => w.stop());
      const cpuCores = each.reduce((n, u) => n + u.cpuCores, 0);
      return { cpuCores, cpuSeconds: cpuCores * secs, peakRssBytes: each.reduce((n, u) => n + u.peakRssBytes, 0) };
    },
  };
}

export interface Settled {
  settled: boolean;
  waitedMs: number;
}

/**
 * Waits until `pid` is idle: its CPU share over one `windowMs` below `idleCores`, or `maxMs` passed.
 * Between the steps of a rate search, a target that collapsed at the last step is still working
 * off its backlog (queued deliveries, retransmissions) for a while; a step started then measures
 * that backlog, not its rate (raw Aedes failed 12,500 msg/s right after 15,000, having held it
 * alone). Observed, not a fixed pause: a quick target loses no time.
 */
export async function settle(pid: number, idleCores = 0.05, windowMs = 500, maxMs = 60_000): Promise<Settled> {
  const t0 = Date.now();
  const done = (settled: boolean) => ({ settled, waitedMs: Date.now() - t0 });
  let before = sampleProc(pid);
  for (;;) {
    if (!before) return done(true); // gone: nothing left to work off
    if (Date.now() - t0 >= maxMs) return done(false);
    await new Promise((r) => setTimeout(r, windowMs));
    const after = sampleProc(pid);
    if (after && (after.cpuSeconds - before.cpuSeconds) / (windowMs / 1000) < idleCores) return done(true);
    before = after;
  }
}
