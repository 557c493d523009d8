// The `itrade` command. Every subcommand registers itself from cli/commands/; errors end in one
// line on stderr (the stack trace only with --verbose) and a documented exit code (cli/exit.ts).
import { Command, CommanderError } from 'commander';
import { oneLine } from '../protocol/errors.ts';
import { VERSION } from '../lib/version.ts';
import { registerAdminCommand } from './commands/admin.ts';
import { registerConfig } from './commands/config.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerGateway } from './commands/gateway.ts';
import { registerStack } from './commands/stack.ts';
import { registerPrincipalCommand } from './commands/principal.ts';
import { registerSensorCommand } from './commands/sensor.ts';
import { registerMarketCommand } from './commands/market.ts';
import { registerSubscribeCommand } from './commands/subscribe.ts';
import { registerStreamCommand } from './commands/stream.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerAgentCommand } from './commands/agent.ts';
import { registerCryptoCommand } from './commands/crypto.ts';
import { registerSimCommand } from './commands/sim.ts';
import { CliContext, type GlobalOptions } from './context.ts';
import { EXIT, exitCodeFor } from './exit.ts';

const REGISTRARS = [
  registerGateway,
  registerStack,
  registerDeploy,
  registerConfig,
  registerAdminCommand,
  // the market and the simulator (firmware-sim/)
  registerPrincipalCommand,
  registerSensorCommand,
  registerMarketCommand,
  registerSubscribeCommand,
  registerStreamCommand,
  registerReplayCommand,
  registerAgentCommand,
  registerCryptoCommand,
  registerSimCommand,
];

export async function main(
  argv: string[],
  io?: { out?: (l: string) => void; err?: (l: string) => void },
): Promise<number> {
  let exitCode: number = EXIT.ok;
  let context: CliContext | undefined;
  const program = new Command('itrade')
    .description('ITrade: marketplace gateway for encrypted IoT data streams (docs/cli.md: commands and exit codes)')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: $ITRADE_CONFIG or config/itrade.yaml)')
    .option('-v, --verbose', 'debug logs, and stack traces on errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (io?.out ?? ((l) => process.stdout.write(l + '\n')))(s.trimEnd()),
      writeErr: (s) => (io?.err ?? ((l) => process.stderr.write(l + '\n')))(s.trimEnd()),
    })
    .showSuggestionAfterError();
  const ctx = () => (context ??= new CliContext(program.opts<GlobalOptions>(), io?.out, io?.err));
  for (const register of REGISTRARS) register(program, ctx, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const c = ctx();
    c.err(`itrade: ${oneLine(err)}`);
    if (c.opts.verbose && err instanceof Error && err.stack) c.err(err.stack);
    return exitCodeFor(err);
  }
}
