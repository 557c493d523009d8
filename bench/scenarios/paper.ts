// The paper's workload (section V) on the full path: 100 devices x 20 msg/s sealed readings, QoS 1,
// JWT-authenticated, written through to Kafka before each PUBACK, 100 metered buyers each on one
// sensor, decrypting. Printed beside its parts, measured in the same run: raw Aedes on the same
// workload and Kafka's own acks=all write. Then the highest rate the gateway sustains the same way.
import { sealed } from '../fleet.ts';
import { runLine } from '../report.ts';
import { runStream, type StreamResult } from '../stream.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';
import { findMax, nextFailure } from './max.ts';
import { MAX_RATES } from './baselines.ts';
import { kafkaAlonePaper, rawAedesPaper } from './parts.ts';

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
  ctx.say(`  ${runLine(run)}`);
  await wholeAndParts(ctx, run);
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

/** Issue 14's figures for one instance: P50, P99 against the sum of its parts, delivery, CPU per message. */
async function wholeAndParts(ctx: ScenarioContext, run: StreamResult): Promise<void> {
  const aedes = await rawAedesPaper(ctx);
  const kafka = await kafkaAlonePaper(ctx);
  const sum = aedes.e2e.p99 + kafka.write.p99;
  const cpuRatio = run.target.cpuUsPerDelivered / aedes.target.cpuUsPerDelivered;
  ctx.say(
    `  whole and parts: gateway p99 ${ms(run.e2e.p99)} against raw Aedes p99 ${ms(aedes.e2e.p99)} + Kafka ` +
      `acks=all p99 ${ms(kafka.write.p99)} = ${ms(sum)}; CPU ${run.target.cpuUsPerDelivered.toFixed(1)} µs per ` +
      `delivered against raw Aedes' ${aedes.target.cpuUsPerDelivered.toFixed(1)} (${cpuRatio.toFixed(2)} x)`,
  );
  ctx.result.figures['paper workload: the whole and its parts'] = {
    'gateway e2e p50, ms': run.e2e.p50,
    'gateway e2e p99, ms': run.e2e.p99,
    'raw Aedes e2e p99, ms': aedes.e2e.p99,
    'Kafka alone acks=all write p99, ms': kafka.write.p99,
    'sum of the parts, ms': sum,
    'gateway p99 / sum of the parts': run.e2e.p99 / sum,
    'gateway CPU µs per delivered': run.target.cpuUsPerDelivered,
    'raw Aedes CPU µs per delivered': aedes.target.cpuUsPerDelivered,
    'CPU ratio gateway / raw Aedes': cpuRatio,
  };
  const delivered = run.delivered === run.expected && run.acked === run.sent;
  ctx.result.goals.push(
    { goal: 'paper workload, one instance: P50 <= 3 ms', measured: ms(run.e2e.p50), met: run.e2e.p50 <= 3 },
    {
      goal: "paper workload, one instance: P99 <= raw Aedes' P99 + Kafka's acks=all P99 (same run)",
      measured: `${ms(run.e2e.p99)} against ${ms(aedes.e2e.p99)} + ${ms(kafka.write.p99)} = ${ms(sum)}`,
      met: run.e2e.p99 <= sum,
    },
    {
      goal: 'paper workload, one instance: 100.00 % delivered and acknowledged',
      measured: `${run.delivered}/${run.expected} delivered, ${run.acked}/${run.sent} acknowledged`,
      met: delivered,
    },
    {
      goal: "gateway CPU per delivered message, one instance: <= 2 x raw Aedes' (same run)",
      measured:
        `${run.target.cpuUsPerDelivered.toFixed(1)} / ${aedes.target.cpuUsPerDelivered.toFixed(1)} µs = ` +
        `${cpuRatio.toFixed(2)} x`,
      met: cpuRatio <= 2,
    },
  );
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
