// itrade agent: the seller's key agent
import type { Command } from 'commander';
import { serveKeys } from '../../participant/sessions.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, untilInterrupted, withMarket, type MarketOptions } from '../market-session.ts';

export function registerAgentCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  marketOptions(program.command('agent'))
    .description(
      "Run your key agent as a seller (docs/key-exchange.md): wraps your sensors' keys for entitled buyers, " +
        'until Ctrl-C',
    )
    .action((o: MarketOptions) => {
      const stop = untilInterrupted();
      return withMarket(ctx(), o, async (s) => {
        const c = ctx();
        await serveKeys({
          ctx: s.ctx,
          endpoints: s.endpoints,
          profile: s.profile(),
          out: c.out,
          err: c.err,
          signal: stop.signal,
          log: c.log(),
        });
        setExit(EXIT.ok);
      }).finally(stop.done);
    });
}
