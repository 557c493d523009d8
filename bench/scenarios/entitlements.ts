// What an on-chain entitlement check costs: SUBSCRIBE -> SUBACK with a cold cache (the gateway
// asks the chain) and with a warm one (Redis), and a storm of buyers subscribing at once (time
// until every one is authorised, and how many JSON-RPC calls that took). Each phase runs on a
// fresh gateway process with an empty cache, whose chain traffic goes through a counting proxy.
// Then the chain gets a long history (--history subscriptions, bench/chain-history.ts) and both
// are measured again: issue 16 wants the same figures, the check being one view call.
import { sensorTopic } from '../../protocol/topics.ts';
import { provision, type ProvisionedBuyer } from '../../firmware-sim/provision.ts';
import { limiter } from '../../lib/limiter.ts';
import { fromRoot } from '../../lib/paths.ts';
import { LiteClient } from '../mqtt-lite.ts';
import { Redis } from 'ioredis';
import { buildSubscriptionHistory } from '../chain-history.ts';
import { diff, RpcCounter } from '../rpc-proxy.ts';
import { summarize } from '../stats.ts';
import type { BenchEnv, GatewayProcess } from '../env.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

// The reads an entitlement check may make: views (eth_call) and event scans (eth_getLogs, none since issue 16).
const CHECK_METHODS = ['eth_call', 'eth_getLogs'];

/** Resolves once the index of the gateway with this key prefix holds block `block` (seeded or caught up). */
async function catalogueAt(env: BenchEnv, prefix: string, block: number, timeoutMs = 600_000): Promise<void> {
  const redis = new Redis(env.ep.redisUrl);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Number((await redis.get(`${prefix}cat:checkpoint`)) ?? -1) < block) {
      if (Date.now() > deadline) throw new Error(`the catalogue of ${prefix} did not reach block ${block}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    redis.disconnect();
  }
}

async function head(env: BenchEnv): Promise<number> {
  const r = await fetch(env.ep.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  });
  return Number(((await r.json()) as { result: string }).result);
}

async function freshGateway(
  env: BenchEnv,
  rpc: RpcCounter,
  tag: string,
): Promise<{ gw: GatewayProcess; stop(): Promise<void> }> {
  const url = await rpc.start();
  const base = env.gatewayConfig();
  const keyPrefix = `bench-${tag}-${Date.now().toString(36)}:`;
  const cfg = env.gatewayConfig({
    redis: { ...base.redis, keyPrefix },
    chain: { ...base.chain, rpcUrl: url },
  });
  const main = env.gateway;
  const at = await head(env);
  const gw = await env.startGateway(cfg);
  // Its catalogue seeds itself from the chain's views at start: done before anything is measured.
  await catalogueAt(env, keyPrefix, at);
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

function sum(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** eth_call + eth_getLogs among counted JSON-RPC calls. */
const chainReads = (calls: Record<string, number>) => CHECK_METHODS.reduce((n, m) => n + (calls[m] ?? 0), 0);

async function coldAndWarm(ctx: ScenarioContext, env: BenchEnv, buyers: ProvisionedBuyer[], label = ''): Promise<void> {
  const rpc = new RpcCounter(env.ep.rpcUrl);
  const { gw, stop } = await freshGateway(env, rpc, 'cold');
  const cold: number[] = [];
  const warm: number[] = [];
  let refused = 0;
  // Only the SUBSCRIBEs' reads: the CONNECT before them asks the chain about the principal.
  let calls: Record<string, number> = {};
  let connectCalls: Record<string, number> = {};
  try {
    for (const b of buyers) {
      const s0 = rpc.snapshot();
      const c = await connect(gw, b, 'ent');
      const s1 = rpc.snapshot();
      connectCalls = sum(connectCalls, diff(s1, s0));
      const filters = [{ topic: sensorTopic(b.sensors[0]!), qos: 1 as const }];
      let t = performance.now();
      if ((await c.subscribe(filters))[0] === 0x80) refused++;
      cold.push(performance.now() - t);
      t = performance.now();
      if ((await c.subscribe(filters))[0] === 0x80) refused++;
      warm.push(performance.now() - t);
      calls = sum(calls, diff(rpc.snapshot(), s1));
      await c.end();
    }
  } finally {
    await stop();
  }
  const connectReads = chainReads(connectCalls);
  const c = summarize(cold);
  const w = summarize(warm);
  ctx.say(
    `  cold SUBSCRIBE p50 ${c.p50.toFixed(2)} ms p99 ${c.p99.toFixed(2)} ms; cached p50 ${w.p50.toFixed(2)} ms ` +
      `p99 ${w.p99.toFixed(2)} ms; chain reads per check ` +
      `${(chainReads(calls) / buyers.length).toFixed(2)} ` +
      `(the CONNECT before it: ${(connectReads / buyers.length).toFixed(2)})`,
  );
  ctx.result.figures[`entitlement check: cold vs cached (SUBSCRIBE -> SUBACK)${label}`] = {
    buyers: buyers.length,
    'cold p50, ms': c.p50,
    'cold p99, ms': c.p99,
    'cached p50, ms': w.p50,
    'cached p99, ms': w.p99,
    'eth_call per cold check': (calls.eth_call ?? 0) / buyers.length,
    'chain reads per cold check': chainReads(calls) / buyers.length,
    'eth_getLogs per cold check': (calls.eth_getLogs ?? 0) / buyers.length,
    'chain reads per CONNECT before it (the principal), not counted above': connectReads / buyers.length,
    refused,
  };
}

async function storm(ctx: ScenarioContext, env: BenchEnv, buyers: ProvisionedBuyer[], label = ''): Promise<void> {
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
    const pairs = new Set(buyers.map((b) => `${b.principal}:${b.sensors[0]}`)).size;
    ctx.result.figures[`subscribe storm${label}`] = {
      buyers: buyers.length,
      'distinct sensors': new Set(buyers.map((b) => b.sensors[0])).size,
      'time until all authorised, ms': ms,
      refused,
      'chain reads during the storm (eth_call + eth_getLogs)': checks,
      'all JSON-RPC calls during the storm': Object.values(calls).reduce((a, b) => a + b, 0),
      'chain reads per buyer': checks / buyers.length,
      '(buyer, sensor) pairs': pairs,
      'chain reads per (buyer, sensor)': checks / pairs,
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
  if (ctx.opts.history <= 0) return;
  const sensors = [...new Set(p.buyers.map((b) => b.sensors[0]!))];
  ctx.say(
    `entitlements: making ${ctx.opts.history} subscriptions of other buyers to those ${sensors.length} sensors ...`,
  );
  const h = await buildSubscriptionHistory({
    rpcUrl: env.ep.rpcUrl,
    marketplace: env.marketplace,
    sensors,
    subscriptions: ctx.opts.history,
    say: ctx.say,
  });
  ctx.say(`  ${h.made} subscriptions made in ${(h.ms / 1000).toFixed(1)} s; the running gateway follows them ...`);
  // The bench's own gateway reads the history's events too: measured once it has caught up.
  await catalogueAt(env, 'bench:', await head(env));
  ctx.result.figures['chain history'] = { 'subscriptions made': h.made, 'making them, s': h.ms / 1000 };
  const label = ` after ${h.made.toLocaleString('en')} more subscriptions`;
  await coldAndWarm(ctx, env, p.buyers.slice(0, 100), label);
  await storm(ctx, env, p.buyers, label);
}
