// itrade sim: N devices and M buyers against the running gateway (firmware-sim/sim.ts)
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { resolveEndpoints } from '../../participant/endpoints.ts';
import { runSim } from '../../firmware-sim/sim.ts';
import { itradeError } from '../../protocol/errors.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, untilInterrupted, type MarketOptions } from '../market-session.ts';
import { count, int, positive } from '../args.ts';

interface SimFlags extends MarketOptions {
  devices: number;
  buyers: number;
  sellers?: number;
  sensorsPerBuyer: number;
  rate: number;
  duration: number;
  entries: number;
  buy: 'missing' | 'always';
  replay?: boolean;
  replayAt?: number;
  rotateEvery?: number;
  demo?: boolean;
  dataDir?: string;
}

export function registerSimCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  marketOptions(program.command('sim'), { profile: false })
    .description(
      'Simulate a market against the running gateway: register sellers, sensors and buyers on chain, publish ' +
        'encrypted readings, decrypt and verify them at the buyers, print progress and a verdict (exit 1 when a ' +
        'reading was lost or altered)',
    )
    .option('--devices <n>', 'simulated sensors', count, 3)
    .option('--buyers <n>', 'simulated buyers', int, 2)
    .option('--sellers <n>', 'sellers the sensors belong to (default: one per 5 sensors)', count)
    .option('--sensors-per-buyer <n>', 'sensors each buyer subscribes to (round-robin)', count, 2)
    .option('--rate <per-second>', 'readings per second per device', positive, 1)
    .option('--duration <seconds>', 'how long the devices publish; 0 runs until Ctrl-C', int, 30)
    .option('--entries <n>', 'data entries each subscription buys', count, 100_000)
    .addOption(
      new Option('--buy <when>', 'buy subscriptions again on every run, or only where a buyer holds none')
        .choices(['missing', 'always'])
        .default('missing'),
    )
    .option('--replay', 'replay this run from history at the end (or at --replay-at) and verify it too')
    .option('--replay-at <seconds>', 'replay this many seconds into the run', int)
    .option('--rotate-every <seconds>', "rotate every sensor's key this often", positive)
    .option('--demo', 'print every decrypted reading as it arrives')
    .option(
      '--data-dir <dir>',
      'where the simulated participants are kept and reused (default: .cache/itrade/<chain>-<marketplace>/sim)',
    )
    .action(async (o: SimFlags) => {
      const c = ctx();
      const e = await resolveEndpoints(c.config(), o, c.log());
      const stop = untilInterrupted();
      try {
        const r = await runSim({
          rpcUrl: e.rpcUrl,
          apiUrl: e.apiUrl,
          mqttUrl: e.mqttUrl,
          marketplace: e.marketplace,
          dataDir: o.dataDir ?? join(e.marketDir, 'sim'),
          devices: o.devices,
          buyers: o.buyers,
          ...(o.sellers ? { sellers: o.sellers } : {}),
          sensorsPerBuyer: o.sensorsPerBuyer,
          rateHz: o.rate,
          durationSec: o.duration,
          dataEntries: o.entries,
          subscribe: o.buy,
          replay: Boolean(o.replay || o.replayAt !== undefined),
          ...(o.replayAt !== undefined ? { replayAtSec: o.replayAt } : {}),
          ...(o.rotateEvery ? { rotateEverySec: o.rotateEvery } : {}),
          demo: Boolean(o.demo),
          signal: stop.signal,
          out: c.out,
          log: c.log(),
        });
        if (!r.verdict.ok)
          throw itradeError(
            'SIM_VERIFY_FAILED',
            `${r.verdict.problems.length} problem(s), first: ${r.verdict.problems[0]}`,
          );
        setExit(EXIT.ok);
      } finally {
        stop.done();
      }
    });
}
