// itrade replay <sensor> [--from TIME | --offset N] [--limit N]
import { InvalidArgumentError, Option, type Command } from 'commander';
import { replaySensor } from '../../participant/sessions.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, withMarket, type MarketOptions } from '../market-session.ts';
import { address, count, int } from '../args.ts';

function time(v: string): number {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError('milliseconds since the epoch, or a date such as 2026-01-31T12:00:00Z');
  return ms;
}

export function registerReplayCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  marketOptions(program.command('replay'))
    .description(
      "Read a sensor's history as a buyer (docs/replay.md), decrypted, one JSON line per reading; replayed " +
        'entries count against your paid entries',
    )
    .argument('<sensor>', 'sensor address', address)
    .option(
      '--from <time>',
      'entries received at or after this time (ms, or an ISO date); default: your subscription start',
      time,
    )
    .addOption(new Option('--offset <n>', 'from this Kafka offset on').argParser(int).conflicts('from'))
    .option('--limit <n>', 'at most this many entries', count)
    .action((sensor: string, o: MarketOptions & { from?: number; offset?: number; limit?: number }) =>
      withMarket(ctx(), o, async (s) => {
        const c = ctx();
        const from =
          o.offset !== undefined ? { offset: o.offset } : o.from !== undefined ? { timestamp: o.from } : undefined;
        const r = await replaySensor(
          { ctx: s.ctx, endpoints: s.endpoints, profile: s.profile(), out: c.out, err: c.err, log: c.log() },
          sensor,
          { ...(from ? { from } : {}), ...(o.limit ? { limit: o.limit } : {}) },
        );
        c.err(
          `replay ${r.reason}: ${r.entries} entries (offsets ${r.from ?? '-'}..${r.end ?? '-'}), continue from ` +
            `offset ${r.next ?? '-'}; ${r.failed} not decrypted`,
        );
        setExit(r.failed > 0 ? EXIT.failed : EXIT.ok);
      }),
    );
}
