// The gateway scenarios share one bench environment and one provisioned fleet, made on first use
// and torn down when the bench ends.
import { BenchEnv } from '../env.ts';
import { kafkaAlone, type KafkaAloneSpec } from '../kafka-alone.ts';
import { gatewayFleet, type GatewayFleet } from '../provision.ts';
import type { ScenarioContext } from './index.ts';

export async function benchEnv(ctx: ScenarioContext): Promise<BenchEnv> {
  if (ctx.env) return ctx.env;
  ctx.say('starting the bench stack (Redis, Kafka, anvil), deploying the marketplace, starting the gateway ...');
  const env = await BenchEnv.start(ctx.log);
  ctx.cleanups.push(() => env.stop());
  env.bus = ctx.opts.bus;
  env.sets = ctx.opts.sets;
  const why = ' (one instance, as in the paper; the default, redis, lets several instances act as one broker)';
  ctx.result.notes.push(`The gateway ran with broker.bus = ${env.bus}${env.bus === 'memory' ? why : ''}.`);
  await env.startGateway();
  ctx.env = env;
  return env;
}

export async function benchFleet(ctx: ScenarioContext): Promise<GatewayFleet> {
  if (ctx.fleet) return ctx.fleet;
  const env = await benchEnv(ctx);
  ctx.fleet = await gatewayFleet(env, ctx.opts.devices, ctx.say);
  await warmKafka(ctx, env);
  ctx.result.figures['setup'] = {
    'provisioning (principals, sensors, activations, logins, subscriptions), s': ctx.fleet.provisioned.ms / 1000,
    'key exchange for every buyer, s': ctx.fleet.keyExchangeMs / 1000,
  };
  return ctx.fleet;
}

// The bench's Kafka starts with the bench, and its JIT compiler ran at about 0.3 core for the
// first minute of load (2026-12-03: 8 of 12 CPU seconds during the gateway's warm-up, the rest in
// its measured window), which showed as the gateway's worst seconds. So Kafka carries the
// workload's write load for twice the run's warm-up (30 s by default; a smoke run's --warmup 2
// keeps it short), not measured, before the first streaming run.
async function warmKafka(ctx: ScenarioContext, env: BenchEnv): Promise<void> {
  const warmupMs = 2 * ctx.opts.warmupMs;
  ctx.say(`warming Kafka up: ${ctx.opts.devices} topics x ${ctx.opts.rate} msg/s for ${warmupMs / 1000} s`);
  await kafkaAlone(kafkaAloneSpec(ctx, env, { durationMs: 0, warmupMs }));
}

/** Kafka alone on the paper workload's topic layout and rate, with the gateway's bridge settings. */
export function kafkaAloneSpec(
  ctx: ScenarioContext,
  env: BenchEnv,
  times: Pick<KafkaAloneSpec, 'durationMs' | 'warmupMs'>,
): KafkaAloneSpec {
  const bridge = env.gatewayConfig().bridge;
  return {
    brokers: env.ep.kafkaBrokers,
    topics: ctx.opts.devices,
    ratePerTopic: ctx.opts.rate,
    ...times,
    // A sealed reading of the load generator is about this size (docs/envelope.md).
    payloadBytes: 110,
    partitions: bridge.topic.partitions,
    replicationFactor: bridge.topic.replicationFactor,
    lingerMs: bridge.producer.lingerMs,
  };
}
