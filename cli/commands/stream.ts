// itrade stream <sensor...> [--count N] [--duration S] [--from start|now]
import { InvalidArgumentError, type Command } from 'commander';
import { streamLive } from '../../participant/sessions.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, untilInterrupted, withMarket, type MarketOptions } from '../market-session.ts';
import { address, count, positive } from '../args.ts';

function from(v: string): 'start' | 'now' {
  if (v === 'start' || v === 'now') return v;
  throw new InvalidArgumentError("'start' or 'now'");
}

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
    .option('--from <where>', "'start': from your subscription's start (default); 'now': skip what came before", from)
    .action((sensors: string[], o: MarketOptions & { count?: number; duration?: number; from?: 'start' | 'now' }) => {
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
            ...(o.from ? { from: o.from } : {}),
          },
        );
        c.err(`${r.readings} reading(s) decrypted, ${r.failed} not`);
        setExit(r.failed > 0 ? EXIT.failed : EXIT.ok);
      }).finally(stop.done);
    });
}
