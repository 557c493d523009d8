// Raw Aedes (no authentication, no Kafka) and Mosquitto, driven by the same load generator with
// the same sealed payloads: first the paper's workload, then the step-up search for the highest
// rate each sustains. The gateway's figures are read as ratios against these. Raw Aedes' paper
// run is the one the paper scenario compares with (parts.ts): measured once per bench run.
import { syntheticFleet } from '../fleet.ts';
import { startAedesRaw, startMosquitto, type Target } from '../targets/targets.ts';
import { findMax, nextFailure } from './max.ts';
import { paperWorkload, rawAedesPaper } from './parts.ts';
import type { ScenarioContext } from './index.ts';

export const MAX_RATES = [500, 1000, 2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000];

export async function baselines(ctx: ScenarioContext): Promise<void> {
  const { opts } = ctx;
  await rawAedesPaper(ctx);
  for (const start of [startAedesRaw, () => startMosquitto(ctx.log)]) {
    const target: Target = await start();
    try {
      const fleet = syntheticFleet(opts.devices);
      // Raw Aedes' paper run is rawAedesPaper's, above.
      if (target.name !== 'aedes (raw)') await paperWorkload(ctx, target, fleet);
      ctx.say(`${target.name}: highest sustained rate (P99 <= 100 ms, nothing lost)`);
      const max = await findMax(
        target.endpoint,
        target.pid,
        fleet,
        { rates: MAX_RATES, stepMs: opts.stepMs, p99BoundMs: 100 },
        ctx.say,
      );
      (ctx.maxRates ??= {})[target.name] = max.sustained;
      ctx.result.figures[`max sustained rate: ${target.name}`] = {
        'msg/s sustained': max.sustained,
        'lowest failing step': nextFailure(max),
      };
    } finally {
      await target.stop();
    }
  }
}
