// itrade subscribe <sensor> --entries N [--start S]
import type { Command } from 'commander';
import { subscribeTo } from '../../participant/market-ops.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, withMarket, type MarketOptions } from '../market-session.ts';
import { address, count, int } from '../args.ts';

function start(v: string): number {
  return v === 'now' ? Math.floor(Date.now() / 1000) : int(v);
}

export function registerSubscribeCommand(
  program: Command,
  ctx: () => CliContext,
  setExit: (code: number) => void,
): void {
  marketOptions(program.command('subscribe'))
    .description(
      'Buy data entries of a sensor on chain, paying exactly price x entries from your account; prints the ' +
        'subscription address',
    )
    .argument('<sensor>', 'sensor address (see `itrade market list`)', address)
    .requiredOption('-n, --entries <n>', 'data entries to buy (live and replayed entries both count)', count)
    .option(
      '--start <unix-seconds|now>',
      'entitled from this time on (0: from the oldest entry the gateway keeps)',
      start,
      0,
    )
    .action((sensor: string, o: MarketOptions & { entries: number; start: number }) =>
      withMarket(ctx(), o, async (s) => {
        const c = ctx();
        c.err(`subscribing to ${sensor}: ${o.entries} entries, paying on chain ...`);
        const r = await subscribeTo(s.ctx, s.profile(), sensor, o.entries, o.start);
        c.err(`paid ${r.paid} wei; stream it with: itrade stream ${sensor}`);
        c.out(r.subscription);
        setExit(EXIT.ok);
      }),
    );
}
