// The parts the gateway's paper-workload latency is judged against, measured in the same run:
// raw Aedes on the same workload (the MQTT part) and a kafkajs producer alone writing the same
// rate with acks=all to the same topic layout (the Kafka part). Each is measured once per bench
// run and shared by the scenarios that compare with it.
import { sealed, syntheticFleet, type Fleet } from '../fleet.ts';
import { kafkaAlone, type KafkaAloneResult } from '../kafka-alone.ts';
import { runLine } from '../report.ts';
import { runStream, type StreamResult } from '../stream.ts';
import { startAedesRaw, type Target } from '../targets/targets.ts';
import { benchEnv, kafkaAloneSpec } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

// Long enough for a stable P99 at 2,000 msg/s (60,000 samples), short enough to leave the machine
// to the gateway's runs.
const PART_MS = 30_000;

export interface Parts {
  aedes?: StreamResult;
  kafka?: KafkaAloneResult;
}

export async function rawAedesPaper(ctx: ScenarioContext): Promise<StreamResult> {
  const parts = (ctx.parts ??= {});
  if (parts.aedes) return parts.aedes;
  const target = await startAedesRaw();
  try {
    parts.aedes = await paperWorkload(ctx, target, syntheticFleet(ctx.opts.devices));
    return parts.aedes;
  } finally {
    await target.stop();
  }
}

/**
 * The paper workload against a target the gateway is compared with (raw Aedes here, Mosquitto in
 * baselines.ts): at most PART_MS, recorded in the result's runs and said.
 */
export async function paperWorkload(ctx: ScenarioContext, target: Target, fleet: Fleet): Promise<StreamResult> {
  const { opts } = ctx;
  const durationMs = Math.min(opts.durationMs, PART_MS);
  ctx.say(`${target.name}: paper workload, ${opts.devices} devices x ${opts.rate} msg/s for ${durationMs / 1000} s`);
  const run = await runStream({
    endpoint: target.endpoint,
    targetPid: target.pid,
    ...fleet,
    ratePerDevice: opts.rate,
    qos: 1,
    warmupMs: 3000,
    durationMs,
    codec: sealed(fleet),
  });
  ctx.result.runs.push({ scenario: 'paper workload', target: target.name, run });
  ctx.say(`  ${runLine(run)}`);
  return run;
}

export async function kafkaAlonePaper(ctx: ScenarioContext): Promise<KafkaAloneResult> {
  const parts = (ctx.parts ??= {});
  if (parts.kafka) return parts.kafka;
  const env = await benchEnv(ctx);
  const durationMs = Math.min(ctx.opts.durationMs, PART_MS);
  ctx.say(
    `kafka alone: a kafkajs producer, acks=all, ${ctx.opts.devices} topics x ${ctx.opts.rate} msg/s for ` +
      `${durationMs / 1000} s`,
  );
  // The gateway's warm-up: the same time for Kafka's JIT to settle (its compiler took 12 s of a
  // core in the first minutes of a fresh broker on 2026-12-03).
  const out = await kafkaAlone(kafkaAloneSpec(ctx, env, { durationMs, warmupMs: ctx.opts.warmupMs }));
  ctx.say(
    `  write p50 ${out.write.p50.toFixed(2)} p99 ${out.write.p99.toFixed(2)} max ${out.write.max.toFixed(2)} ms; ` +
      `${out.written} written in ${out.batches} batches, ${out.failed} failed`,
  );
  ctx.result.figures['kafka alone (acks=all, same topic layout and rate)'] = {
    'msg/s offered': out.offeredRate,
    'write p50, ms': out.write.p50,
    'write p99, ms': out.write.p99,
    'write max, ms': out.write.max,
    written: out.written,
    failed: out.failed,
    batches: out.batches,
  };
  parts.kafka = out;
  return out;
}
