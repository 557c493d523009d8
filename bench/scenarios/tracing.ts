// Tracing's cost and what it shows (issue 17): the paper workload on a gateway with tracing off
// and on at 1 % sampling, in four pairs ordered off 1 % | 1 % off | off 1 % | 1 % off, so that a
// drift of the machine falls on both settings alike; the cost is the median of the four pairs'
// ratios (two runs of one setting differed by more than the 5 % to resolve, docs/benchmark.md).
// Spans go by OTLP/HTTP to a receiver in the bench process; then at 100 % sampling, where every
// publish's trace gives the time of each stage: the Istio-like breakdown of P50, P90 and P99.
// The workload is open loop at a fixed rate, so tracing's cost shows as gateway CPU per message
// (the gateway's one thread is its throughput limit, docs/benchmark.md), not as fewer messages.
import { sealed } from '../fleet.ts';
import { runStream, type StreamResult } from '../stream.ts';
import { OtlpReceiver, STAGES, breakdowns, stageTable, type StageTable } from '../traces.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

type Mode = 'off' | '1 %' | '100 %';
const PAIRS: Mode[][] = [
  ['off', '1 %'],
  ['1 %', 'off'],
  ['off', '1 %'],
  ['1 %', 'off'],
];

const TRACING: Record<Mode, Record<string, unknown>> = {
  off: { enabled: false },
  '1 %': { enabled: true, samplingRatio: 0.01 },
  '100 %': { enabled: true, samplingRatio: 1, maxQueueSize: 200_000 },
};

export async function tracingScenario(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const receiver = await OtlpReceiver.start();
  ctx.cleanups.push(() => receiver.close());
  const runs: { mode: Mode; run: StreamResult }[] = [];
  for (const mode of [...PAIRS.flat(), '100 %'] as Mode[]) {
    await env.stopGateway();
    const tracing = { ...TRACING[mode], otlp: { endpoint: receiver.url } };
    const gw = await env.startGateway(env.gatewayConfig({ tracing } as never));
    receiver.clear();
    ctx.say(`gateway, tracing ${mode}: warm-up ${ctx.opts.warmupMs / 1000} s, ${ctx.opts.durationMs / 1000} s`);
    const run = await runStream({
      endpoint: gw.mqtt,
      targetPid: gw.child.pid!,
      ...fleet,
      qos: 1,
      codec: sealed(fleet),
      ratePerDevice: ctx.opts.rate,
      warmupMs: ctx.opts.warmupMs,
      durationMs: ctx.opts.durationMs,
    });
    // The gateway's shutdown exports what its span queue still holds.
    await env.stopGateway();
    runs.push({ mode, run });
    ctx.result.runs.push({ scenario: `paper workload, tracing ${mode}`, target: 'gateway', run });
    ctx.say(
      `  e2e p50 ${run.e2e.p50.toFixed(2)} p99 ${run.e2e.p99.toFixed(2)} ms; CPU ${run.target.cpuCores.toFixed(3)} ` +
        `cores; delivered ${run.delivered}/${run.expected}; spans received ${receiver.spans.length}`,
    );
  }
  costFigures(ctx, runs);
  stageFigures(ctx, stageTable(breakdowns(receiver.spans)), runs.at(-1)!.run);
  await env.startGateway();
}

/** CPU per message offered, tracing off vs 1 %: the throughput cost on a CPU-bound gateway. */
function costFigures(ctx: ScenarioContext, runs: { mode: Mode; run: StreamResult }[]): void {
  const cpu = (r: StreamResult) => r.target.cpuCores / r.offeredRate;
  const perMsg = (m: Mode) => {
    const rs = runs.filter((r) => r.mode === m).map((r) => r.run);
    return rs.reduce((s, r) => s + r.target.cpuCores, 0) / rs.reduce((s, r) => s + r.offeredRate, 0);
  };
  // Runs 2i and 2i+1 are pair i (PAIRS), whatever its order. A pair where a run did not deliver
  // every entry inside its window measures a starved machine (its CPU is low), not tracing.
  const pairs = PAIRS.map((pair, i) => {
    const [a, b] = [runs[2 * i]!, runs[2 * i + 1]!];
    const [off, on] = pair[0] === 'off' ? [a, b] : [b, a];
    const whole = off.run.delivered >= off.run.expected && on.run.delivered >= on.run.expected;
    return { cost: (cpu(on.run) / cpu(off.run) - 1) * 100, whole };
  });
  const pairCosts = pairs.map((p) => p.cost);
  const kept = pairs.filter((p) => p.whole).map((p) => p.cost);
  const sorted = [...(kept.length > 0 ? kept : pairCosts)].sort((x, y) => x - y);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const pooled = (perMsg('1 %') / perMsg('off') - 1) * 100;
  ctx.result.figures['tracing cost'] = {
    'gateway CPU per 1,000 msg/s, tracing off (cores)': perMsg('off') * 1000,
    'gateway CPU per 1,000 msg/s, tracing at 1 % (cores)': perMsg('1 %') * 1000,
    'cost at 1 % sampling, pair by pair (%)': pairCosts.map((c) => c.toFixed(1)).join(', '),
    'pairs where every run delivered everything': `${kept.length} of ${pairs.length}`,
    'cost at 1 % sampling, median of those pairs (all when none) (%)': median,
    'cost at 1 % sampling, all runs pooled (%)': pooled,
    'gateway CPU per 1,000 msg/s, tracing at 100 % (cores)': perMsg('100 %') * 1000,
  };
  ctx.say(`  cost at 1 %: pairs ${pairCosts.map((c) => c.toFixed(1)).join(', ')} %; median ${median.toFixed(1)} %`);
  ctx.result.goals.push({
    goal: 'tracing at 1 % sampling costs <= 5 % throughput',
    measured:
      `${median.toFixed(1)} % more gateway CPU per message ` +
      `(median of ${kept.length || pairs.length} of ${pairs.length} pairs; all runs pooled ${pooled.toFixed(1)} %)`,
    met: median <= 5,
  });
}

function stageFigures(ctx: ScenarioContext, t: StageTable, run: StreamResult): void {
  const fig: Record<string, number | string> = { 'publish traces complete': t.traces };
  for (const [stage] of STAGES) {
    const s = t.stages[stage];
    fig[`${stage}: p50 / p90 / p99 ms`] = `${s.p50.toFixed(2)} / ${s.p90.toFixed(2)} / ${s.p99.toFixed(2)}`;
  }
  const tot = t.stages.total;
  fig['in the gateway, packet to buyer: p50 / p90 / p99 ms'] =
    `${tot.p50.toFixed(2)} / ${tot.p90.toFixed(2)} / ${tot.p99.toFixed(2)}`;
  fig['device to buyer, measured by the load generators: p50 / p90 / p99 ms'] =
    `${run.e2e.p50.toFixed(2)} / ${run.e2e.p90.toFixed(2)} / ${run.e2e.p99.toFixed(2)}`;
  for (const q of ['p50', 'p90', 'p99'] as const) {
    const row = t.at[q];
    fig[`publishes at the ${q.toUpperCase()} (${row.total.toFixed(2)} ms): ms per stage`] = STAGES.map(
      ([s]) => `${s} ${row[s].toFixed(2)} (${((row[s] / row.total) * 100).toFixed(0)} %)`,
    ).join(', ');
  }
  ctx.result.figures['where a publish spends its time (spans, 100 % sampling)'] = fig;
  ctx.say(`  stages at P50/P90/P99: ${JSON.stringify(fig)}`);
}
