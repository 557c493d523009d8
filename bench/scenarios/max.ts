// The highest offered rate a target sustains: raise the rate step by step until P99 exceeds the
// bound or anything is lost (not acknowledged, not delivered), and report the last good step.
import type { Fleet } from '../fleet.ts';
import { sealed } from '../fleet.ts';
import type { Endpoint } from '../loadgen/protocol.ts';
import { settle } from '../procstat.ts';
import { runStream, type StreamResult } from '../stream.ts';

export interface MaxOptions {
  rates: number[]; // total msg/s steps
  stepMs: number;
  p99BoundMs: number;
  /** Bisections between the last rate that held and the first that failed (default 2). */
  refine?: number;
}

export interface MaxOutcome {
  sustained: number; // msg/s, 0 when even the first step failed
  steps: { rate: number; run: StreamResult; ok: boolean; why: string }[];
}

export function judge(run: StreamResult, p99BoundMs: number): string {
  if (run.acked < run.sent) return `${run.sent - run.acked} not acknowledged`;
  if (run.delivered < run.expected) return `${run.expected - run.delivered} not delivered`;
  if (!(run.e2e.p99 <= p99BoundMs)) return `P99 ${run.e2e.p99.toFixed(1)} ms > ${p99BoundMs} ms`;
  return '';
}

/**
 * The search: the rates in order until one fails, then `refine` bisections between the last good
 * rate and the failed one (rounded to `grain`), so that 2,000 ok / 5,000 failed can still find
 * 3,500. `attempt` runs one step and says why it failed ('' when it held).
 */
export async function searchMax(
  rates: number[],
  refine: number,
  grain: number,
  attempt: (rate: number, i: number) => Promise<string>,
): Promise<number> {
  let good = 0;
  let i = 0;
  let failed: number | undefined;
  for (const rate of rates) {
    if (await attempt(rate, i++)) {
      failed = rate;
      break;
    }
    good = rate;
  }
  for (let r = 0; failed !== undefined && good > 0 && r < refine; r++) {
    const mid = Math.round((good + failed) / 2 / grain) * grain;
    if (mid <= good || mid >= failed) break;
    if (await attempt(mid, i++)) failed = mid;
    else good = mid;
  }
  return good;
}

export async function findMax(
  endpoint: Endpoint,
  pid: number,
  fleet: Fleet,
  o: MaxOptions,
  log: (s: string) => void,
): Promise<MaxOutcome> {
  const steps: MaxOutcome['steps'] = [];
  const sustained = await searchMax(o.rates, o.refine ?? 2, 250, async (rate, i) => {
    // The first step wakes a target that sat idle while others were measured (JIT, Kafka's caches);
    // a later one starts when the target has worked off the step before (bench/procstat.ts settle).
    const warmupMs = i === 0 ? 10_000 : 5000;
    if (i > 0) {
      const s = await settle(pid);
      if (!s.settled || s.waitedMs > 2000)
        log(`  (settling: ${(s.waitedMs / 1000).toFixed(1)} s${s.settled ? '' : ', still busy'})`);
    }
    const run = await runStream({
      endpoint,
      targetPid: pid,
      ...fleet,
      ratePerDevice: rate / fleet.devices.length,
      qos: 1,
      warmupMs,
      durationMs: o.stepMs,
      codec: sealed(fleet),
    });
    const why = judge(run, o.p99BoundMs);
    steps.push({ rate, run, ok: why === '', why });
    log(
      `  ${rate} msg/s: p50 ${run.e2e.p50.toFixed(1)} ms, p99 ${run.e2e.p99.toFixed(1)} ms, delivered ` +
        `${run.delivered}/${run.expected}, CPU ${run.target.cpuCores.toFixed(2)} ` +
        `(${run.target.cpuUsPerDelivered.toFixed(1)} µs per delivered), generators ` +
        `${run.generators.totalCores.toFixed(2)} (busiest ` +
        `${run.generators.maxCores.toFixed(2)})${why ? ` -> failed: ${why}` : ''}`,
    );
    return why;
  });
  return { sustained, steps };
}

/** The lowest rate that failed, and why: the step just above the sustained rate. */
export function nextFailure(out: MaxOutcome): string {
  const failed = out.steps.filter((s) => !s.ok).sort((a, b) => a.rate - b.rate)[0];
  return failed ? `${failed.rate} msg/s: ${failed.why}` : 'none (top of the range)';
}
