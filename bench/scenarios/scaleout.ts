// The paper workload on three gateway instances (separate processes on one Redis, Kafka and chain),
// against one instance in the same run and with the same configuration: device i connects to
// instance i mod 3, its buyers to one of the two others, so every delivery crosses instances.
// CPU is that of all three processes, per delivered message.
import type { ConfigInput } from '../../config/schema.ts';
import type { GatewayProcess } from '../env.ts';
import { stopGatewayProcess } from '../env.ts';
import type { Fleet } from '../fleet.ts';
import { sealed } from '../fleet.ts';
import { runLine } from '../report.ts';
import { runStream, type StreamResult } from '../stream.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

const INSTANCES = 3;

/** Devices round-robin over the instances; each buyer on an instance other than its device's. */
export function spread(fleet: Fleet, gws: GatewayProcess[]): Fleet {
  const n = gws.length;
  return {
    ...fleet,
    devices: fleet.devices.map((d, i) => ({ ...d, endpoint: gws[i % n]!.mqtt })),
    buyers: fleet.buyers.map((b, j) => {
      const home = fleet.buyerDevice[j]! % n;
      return { ...b, endpoint: gws[(home + 1 + (j % (n - 1))) % n]!.mqtt };
    }),
  };
}

export async function scaleout(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  // Instances act as one broker only through the Redis bus (broker.bus: redis) on the path before
  // issue 14; the one-instance reference runs with it too, so the two differ only in instances.
  const base = env.gatewayConfig();
  const cfg = { ...base, broker: { ...base.broker, bus: 'redis' } } as ConfigInput;
  ctx.result.notes.push('scaleout: every instance, and the one-instance reference, ran with broker.bus = redis.');
  const gws: GatewayProcess[] = [];
  try {
    for (let i = 0; i < INSTANCES; i++) gws.push(await env.spawnGateway(cfg));
    const pids = gws.map((g) => g.child.pid!);
    const one = await measure(ctx, 'one instance', fleet, gws[0]!, [pids[0]!]);
    const three = await measure(ctx, `${INSTANCES} instances`, spread(fleet, gws), gws[0]!, pids);
    compare(ctx, one, three);
  } finally {
    await Promise.all(gws.map(stopGatewayProcess));
  }
}

async function measure(
  ctx: ScenarioContext,
  name: string,
  fleet: Fleet,
  gw: GatewayProcess,
  pids: number[],
): Promise<StreamResult> {
  ctx.say(
    `scaleout, ${name}: warm-up ${ctx.opts.warmupMs / 1000} s, then ${fleet.devices.length} devices x ` +
      `${ctx.opts.rate} msg/s for ${ctx.opts.durationMs / 1000} s`,
  );
  const run = await runStream({
    endpoint: gw.mqtt,
    targetPid: pids[0]!,
    targetPids: pids,
    ...fleet,
    qos: 1,
    codec: sealed(fleet),
    ratePerDevice: ctx.opts.rate,
    warmupMs: ctx.opts.warmupMs,
    durationMs: ctx.opts.durationMs,
  });
  ctx.result.runs.push({ scenario: `paper workload, scaleout`, target: `gateway, ${name}`, run });
  ctx.say(`  ${runLine(run)}`);
  return run;
}

function compare(ctx: ScenarioContext, one: StreamResult, three: StreamResult): void {
  const p50 = three.e2e.p50 / one.e2e.p50;
  const p99 = three.e2e.p99 / one.e2e.p99;
  const cpu = three.target.cpuUsPerDelivered / one.target.cpuUsPerDelivered;
  ctx.say(
    `  ${INSTANCES} instances against one: p50 ${p50.toFixed(2)} x, p99 ${p99.toFixed(2)} x, CPU per delivered ` +
      `${cpu.toFixed(2)} x`,
  );
  ctx.result.figures[`scaleout: ${INSTANCES} instances against one`] = {
    'one instance e2e p50, ms': one.e2e.p50,
    'one instance e2e p99, ms': one.e2e.p99,
    [`${INSTANCES} instances e2e p50, ms`]: three.e2e.p50,
    [`${INSTANCES} instances e2e p99, ms`]: three.e2e.p99,
    'p50 ratio': p50,
    'p99 ratio': p99,
    'one instance CPU µs per delivered': one.target.cpuUsPerDelivered,
    [`${INSTANCES} instances CPU µs per delivered (all processes)`]: three.target.cpuUsPerDelivered,
  };
  const aedes = ctx.parts?.aedes?.target.cpuUsPerDelivered;
  ctx.result.goals.push(
    {
      goal: `paper workload on ${INSTANCES} instances, buyers away from their device: P50 and P99 within 1.5 x of one`,
      measured:
        `p50 ${three.e2e.p50.toFixed(2)} / ${one.e2e.p50.toFixed(2)} ms = ${p50.toFixed(2)} x, p99 ` +
        `${three.e2e.p99.toFixed(2)} / ${one.e2e.p99.toFixed(2)} ms = ${p99.toFixed(2)} x; delivered ` +
        `${three.delivered}/${three.expected}`,
      met: p50 <= 1.5 && p99 <= 1.5 && three.delivered === three.expected,
    },
    ...(aedes === undefined
      ? []
      : [
          {
            goal: `gateway CPU per delivered message, ${INSTANCES} instances: <= 2 x raw Aedes' (same run)`,
            measured:
              `${three.target.cpuUsPerDelivered.toFixed(1)} / ${aedes.toFixed(1)} µs = ` +
              `${(three.target.cpuUsPerDelivered / aedes).toFixed(2)} x`,
            met: three.target.cpuUsPerDelivered <= 2 * aedes,
          },
        ]),
  );
}
