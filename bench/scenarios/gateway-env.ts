// The gateway scenarios share one bench environment and one provisioned fleet, made on first use
// and torn down when the bench ends.
import { BenchEnv } from '../env.ts';
import { gatewayFleet, type GatewayFleet } from '../provision.ts';
import type { ScenarioContext } from './index.ts';

export async function benchEnv(ctx: ScenarioContext): Promise<BenchEnv> {
  if (ctx.env) return ctx.env;
  ctx.say('starting the bench stack (Redis, Kafka, anvil), deploying the marketplace, starting the gateway ...');
  const env = await BenchEnv.start(ctx.log);
  ctx.cleanups.push(() => env.stop());
  env.bus = ctx.opts.bus;
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
  ctx.result.figures['setup'] = {
    'provisioning (principals, sensors, activations, logins, subscriptions), s': ctx.fleet.provisioned.ms / 1000,
    'key exchange for every buyer, s': ctx.fleet.keyExchangeMs / 1000,
  };
  return ctx.fleet;
}
