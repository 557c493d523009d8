// The paper's workload (section V) on the full path: 100 devices x 20 msg/s sealed readings, QoS 1,
// JWT-authenticated, written through to Kafka before each PUBACK, 100 metered buyers each on one
// sensor, decrypting. Then the highest rate the gateway sustains the same way.
import { sealed } from '../fleet.ts';
import { runStream } from '../stream.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';
import { findMax, nextFailure } from './max.ts';
import { MAX_RATES } from './baselines.ts';

export async function paper(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const gw = env.gateway!;
  const spec = { endpoint: gw.mqtt, targetPid: gw.child.pid!, ...fleet, qos: 1 as const, codec: sealed(fleet) };
  ctx.say(
    `gateway: warm-up ${ctx.opts.warmupMs / 1000} s, then ${fleet.devices.length} devices x ${ctx.opts.rate} ` +
      `msg/s for ${ctx.opts.durationMs / 1000} s`,
  );
  const run = await runStream({
    ...spec,
    ratePerDevice: ctx.opts.rate,
    warmupMs: ctx.opts.warmupMs,
    durationMs: ctx.opts.durationMs,
  });
  ctx.result.runs.push({ scenario: 'paper workload', target: 'gateway', run });
  ctx.say(
    `  e2e p50 ${run.e2e.p50.toFixed(2)} p90 ${run.e2e.p90.toFixed(2)} p99 ${run.e2e.p99.toFixed(2)} max ` +
      `${run.e2e.max.toFixed(2)} ms; PUBACK p99 ${run.puback.p99.toFixed(2)} ms; delivered ` +
      `${run.delivered}/${run.expected}; CPU ${run.target.cpuCores.toFixed(2)} cores, RSS ` +
      `${(run.target.peakRssBytes / 2 ** 20).toFixed(0)} MiB; load generators ` +
      `${run.generators.totalCores.toFixed(2)} cores (busiest ${run.generators.maxCores.toFixed(2)})`,
  );
  const ok = run.e2e.p99 <= 25 && run.delivered === run.expected && run.acked === run.sent;
  ctx.result.goals.push({
    goal: 'paper scenario: P99 <= 25 ms with 100.00% delivered',
    measured:
      `P99 ${run.e2e.p99.toFixed(2)} ms, ${((run.delivered / run.expected) * 100).toFixed(3)}% ` +
      `delivered, ${run.acked}/${run.sent} acknowledged`,
    met: ok,
  });
}

export async function max(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const gw = env.gateway!;
  ctx.say('gateway: highest sustained rate (P99 <= 100 ms, nothing lost), Kafka write-through on');
  const out = await findMax(
    gw.mqtt,
    gw.child.pid!,
    fleet,
    { rates: MAX_RATES, stepMs: ctx.opts.stepMs, p99BoundMs: 100 },
    ctx.say,
  );
  (ctx.maxRates ??= {}).gateway = out.sustained;
  const last = out.steps.filter((s) => s.ok).at(-1);
  if (last) ctx.result.runs.push({ scenario: `max (${out.sustained} msg/s)`, target: 'gateway', run: last.run });
  ctx.result.figures['max sustained rate: gateway'] = {
    'msg/s sustained': out.sustained,
    'lowest failing step': nextFailure(out),
  };
  ctx.result.goals.push({
    goal: 'max sustained >= 20,000 msg/s with Kafka write-through',
    measured: `${out.sustained} msg/s`,
    met: out.sustained >= 20_000,
  });
  const raw = ctx.maxRates['aedes (raw)'];
  if (raw !== undefined) {
    const ratio = raw > 0 ? out.sustained / raw : Number.NaN;
    ctx.result.goals.push({
      goal: "at least half of raw Aedes' throughput, same run",
      measured: `${out.sustained} / ${raw} msg/s = ${(ratio * 100).toFixed(0)}%`,
      met: ratio >= 0.5,
    });
  }
}
