// itrade stack up|down|status
import { Argument, type Command } from 'commander';
import { runStackCommand, type StackCommand } from '../../stack/cli.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerStack(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  program
    .command('stack')
    .description('Start, stop or inspect the local Redis, Kafka and anvil of this project')
    .addArgument(new Argument('<action>', 'what to do').choices(['up', 'down', 'status']))
    .action(async (action: StackCommand) => {
      const c = ctx();
      if (action === 'up') c.err('starting the local stack (the first start downloads the Kafka jars) ...');
      // A service that is not healthy is "unavailable" (4), as for every other command.
      const code = await runStackCommand(action, c.config(), c.log(), c.out);
      setExit(code === 0 ? EXIT.ok : EXIT.unavailable);
    });
}
