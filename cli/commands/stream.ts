// itrade stream <sensor...> [--count N] [--duration S]
import type { Command } from 'commander';
import { streamLive } from '../../participant/sessions.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import {
  address,
  count,
  marketOptions,
  positive,
  untilInterrupted,
  withMarket,
  type MarketOptions,
} from '../market-session.ts';

export function registerStreamCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  marketOptions(program.command('stream'))
    .description(
      'Receive sensors live as a buyer: fetch their keys through the key exchange, decrypt and print each ' +
        'reading as a JSON line',
    )
    .argument('<sensor...>', 'sensor addresses you hold subscriptions to', (v: string, prev: string[] = []) => [
      ...prev,
      address(v),
    ])
    .option('--count <n>', 'stop after this many readings', count)
    .option('--duration <seconds>', 'stop after this long', positive)
    .action((sensors: string[], o: MarketOptions & { count?: number; duration?: number }) => {
      const stop = untilInterrupted();
      return withMarket(ctx(), o, async (s) => {
        const c = ctx();
        const r = await streamLive(
          {
            ctx: s.ctx,
            endpoints: s.endpoints,
            profile: s.profile(),
            out: c.out,
            err: c.err,
            signal: stop.signal,
            log: c.log(),
          },
          sensors,
          {
            ...(o.count ? { count: o.count } : {}),
            ...(o.duration ? { durationSec: o.duration } : {}),
          },
        );
        c.err(`${r.readings} reading(s) decrypted, ${r.failed} not`);
        setExit(r.failed > 0 ? EXIT.failed : EXIT.ok);
      }).finally(stop.done);
    });
}
