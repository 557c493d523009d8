// The highest offered rate a target sustains: raise the rate step by step until P99 exceeds the
// bound or anything is lost (not acknowledged, not delivered), and report the last good step.
import type { Fleet } from '../fleet.ts';
import { sealed } from '../fleet.ts';
import type { Endpoint } from '../loadgen/protocol.ts';
import { runStream, type StreamResult } from '../stream.ts';

export interface MaxOptions {
  rates: number[]; // total msg/s steps
  stepMs: number;
  p99BoundMs: number;
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

export async function findMax(endpoint: Endpoint, pid: number, fleet: Fleet, o: MaxOptions, log: (s: string) => void): Promise<MaxOutcome> {
  const steps: MaxOutcome['steps'] = [];
  let sustained = 0;
  for (const [i, rate] of o.rates.entries()) {
    // The first step wakes a target that sat idle while others were measured (JIT, Kafka's caches).
    const warmupMs = i === 0 ? 10_000 : 5000;
    const run = await runStream({ endpoint, targetPid: pid, ...fleet, ratePerDevice: rate / fleet.devices.length, qos: 1, warmupMs, durationMs: o.stepMs, codec: sealed(fleet) });
    const why = judge(run, o.p99BoundMs);
    steps.push({ rate, run, ok: why === '', why });
    log(`  ${rate} msg/s: p50 ${run.e2e.p50.toFixed(1)} ms, p99 ${run.e2e.p99.toFixed(1)} ms, delivered ${run.delivered}/${run.expected}, CPU ${run.target.cpuCores.toFixed(2)}, generators ${run.generators.totalCores.toFixed(2)} (busiest ${run.generators.maxCores.toFixed(2)})${why ? ` -> stop: ${why}` : ''}`);
    if (why) break;
    sustained = rate;
  }
  return { sustained, steps };
}
