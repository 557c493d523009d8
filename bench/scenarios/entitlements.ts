// What an on-chain entitlement check costs: SUBSCRIBE -> SUBACK with a cold cache (the gateway
// asks the chain) and with a warm one (Redis), and a storm of buyers subscribing at once (time
// until every one is authorised, and how many JSON-RPC calls that took). Each phase runs on a
// fresh gateway process with an empty cache, whose chain traffic goes through a counting proxy.
import { sensorTopic } from '../../protocol/topics.ts';
import { provision, type ProvisionedBuyer } from '../../firmware-sim/provision.ts';
import { limiter } from '../../lib/limiter.ts';
import { fromRoot } from '../../lib/paths.ts';
import { LiteClient } from '../mqtt-lite.ts';
import { diff, RpcCounter } from '../rpc-proxy.ts';
import { summarize } from '../stats.ts';
import type { BenchEnv, GatewayProcess } from '../env.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

// The reads an entitlement check makes: the sensor's state (eth_call) and the buyer's Subscribed events (eth_getLogs).
const CHECK_METHODS = ['eth_call', 'eth_getLogs'];

async function freshGateway(
  env: BenchEnv,
  rpc: RpcCounter,
  tag: string,
): Promise<{ gw: GatewayProcess; stop(): Promise<void> }> {
  const url = await rpc.start();
  const base = env.gatewayConfig();
  const cfg = env.gatewayConfig({
    redis: { ...base.redis, keyPrefix: `bench-${tag}-${Date.now().toString(36)}:` },
    chain: { ...base.chain, rpcUrl: url },
  });
  const main = env.gateway;
  const gw = await env.startGateway(cfg);
  return {
    gw,
    async stop() {
      await env.stopGateway();
      env.gateway = main;
      await rpc.stop();
    },
  };
}

function connect(gw: GatewayProcess, b: ProvisionedBuyer, suffix: string): Promise<LiteClient> {
  return LiteClient.connect({
    ...gw.mqtt,
    clientId: `${b.principal}:${suffix}`,
    username: b.principal,
    password: b.token,
  });
}

async function coldAndWarm(ctx: ScenarioContext, env: BenchEnv, buyers: ProvisionedBuyer[]): Promise<void> {
  const rpc = new RpcCounter(env.ep.rpcUrl);
  const { gw, stop } = await freshGateway(env, rpc, 'cold');
  const cold: number[] = [];
  const warm: number[] = [];
  let refused = 0;
  const before = rpc.snapshot();
  try {
    for (const b of buyers) {
      const c = await connect(gw, b, 'ent');
      const filters = [{ topic: sensorTopic(b.sensors[0]!), qos: 1 as const }];
      let t = performance.now();
      if ((await c.subscribe(filters))[0] === 0x80) refused++;
      cold.push(performance.now() - t);
      t = performance.now();
      if ((await c.subscribe(filters))[0] === 0x80) refused++;
      warm.push(performance.now() - t);
      await c.end();
    }
  } finally {
    await stop();
  }
  const calls = diff(rpc.snapshot(), before);
  const c = summarize(cold);
  const w = summarize(warm);
  ctx.say(
    `  cold SUBSCRIBE p50 ${c.p50.toFixed(2)} ms p99 ${c.p99.toFixed(2)} ms; cached p50 ${w.p50.toFixed(2)} ms ` +
      `p99 ${w.p99.toFixed(2)} ms`,
  );
  ctx.result.figures['entitlement check: cold vs cached (SUBSCRIBE -> SUBACK)'] = {
    buyers: buyers.length,
    'cold p50, ms': c.p50,
    'cold p99, ms': c.p99,
    'cached p50, ms': w.p50,
    'cached p99, ms': w.p99,
    'eth_call per cold check': (calls.eth_call ?? 0) / buyers.length,
    'eth_getLogs per cold check': (calls.eth_getLogs ?? 0) / buyers.length,
    refused,
  };
}

async function storm(ctx: ScenarioContext, env: BenchEnv, buyers: ProvisionedBuyer[]): Promise<void> {
  const rpc = new RpcCounter(env.ep.rpcUrl);
  const { gw, stop } = await freshGateway(env, rpc, 'storm');
  try {
    const limit = limiter(50);
    const clients = await Promise.all(buyers.map((b) => limit(() => connect(gw, b, 'storm'))));
    const before = rpc.snapshot();
    const t0 = performance.now();
    const acks = await Promise.all(
      clients.map((c, i) => c.subscribe([{ topic: sensorTopic(buyers[i]!.sensors[0]!), qos: 1 }])),
    );
    const ms = performance.now() - t0;
    const calls = diff(rpc.snapshot(), before);
    const refused = acks.filter((g) => g[0] === 0x80).length;
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    const checks = Object.entries(calls)
      .filter(([m]) => CHECK_METHODS.includes(m))
      .reduce((n, [, v]) => n + v, 0);
    ctx.say(
      `  ${buyers.length} buyers subscribed at once: all answered in ${ms.toFixed(0)} ms, ${refused} refused, ` +
        `${checks} chain reads (${JSON.stringify(calls)})`,
    );
    ctx.result.figures['subscribe storm'] = {
      buyers: buyers.length,
      'distinct sensors': new Set(buyers.map((b) => b.sensors[0])).size,
      'time until all authorised, ms': ms,
      refused,
      'chain reads during the storm (eth_call + eth_getLogs)': checks,
      'all JSON-RPC calls during the storm': Object.values(calls).reduce((a, b) => a + b, 0),
      'chain reads per buyer': checks / buyers.length,
    };
  } finally {
    await stop();
  }
}

export async function entitlements(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const n = Math.max(ctx.opts.storm, fleet.provisioned.buyers.length);
  ctx.say(
    `entitlements: provisioning ${n} buyers with a subscription each (the fleet's ` +
      `${fleet.provisioned.buyers.length} included) ...`,
  );
  let last = 0;
  const p = await provision({
    rpcUrl: env.ep.rpcUrl,
    marketplace: env.marketplace,
    apiUrl: env.gateway!.apiUrl,
    dataDir: fleet.provisioned.dataDir,
    sellers: fleet.provisioned.sellers.length,
    sensorsPerSeller: 0,
    sensors: fleet.provisioned.sensors.length,
    buyers: n,
    dataEntries: 1000,
    onProgress: (x) => {
      if (Date.now() - last > 5000) ((last = Date.now()), ctx.say(`  ${x.step}: ${x.done}/${x.total}`));
    },
  });
  await coldAndWarm(ctx, env, p.buyers.slice(0, 100));
  await storm(ctx, env, p.buyers);
}
