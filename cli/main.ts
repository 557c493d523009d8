// The `itrade` command. Every subcommand registers itself from cli/commands/; errors end in one
// line on stderr (the stack trace only with --verbose) and a documented exit code (cli/exit.ts).
import { Command, CommanderError } from 'commander';
import { oneLine } from '../protocol/errors.ts';
import { VERSION } from '../lib/version.ts';
import { CliContext, type GlobalOptions } from './context.ts';
import { EXIT, exitCodeFor } from './exit.ts';

type Registrar = (program: Command, ctx: () => CliContext, setExit: (code: number) => void) => void;

// Each top-level command and the module that registers it, loaded only when asked for: `itrade
// crypto seal` runs once per reading in a shell pipe, and loading every command's libraries (the
// gateway, Kafka, the chain) doubled its start-up (3.0 s against 1.5). Help, --version and an
// unknown word load all.
const gateway = () => import('./commands/gateway.ts').then((m) => m.registerGateway);
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  gateway,
  'operator-token': gateway,
  stack: () => import('./commands/stack.ts').then((m) => m.registerStack),
  deploy: () => import('./commands/deploy.ts').then((m) => m.registerDeploy),
  config: () => import('./commands/config.ts').then((m) => m.registerConfig),
  admin: () => import('./commands/admin.ts').then((m) => m.registerAdminCommand),
  // the market and the simulator (firmware-sim/)
  principal: () => import('./commands/principal.ts').then((m) => m.registerPrincipalCommand),
  sensor: () => import('./commands/sensor.ts').then((m) => m.registerSensorCommand),
  market: () => import('./commands/market.ts').then((m) => m.registerMarketCommand),
  subscribe: () => import('./commands/subscribe.ts').then((m) => m.registerSubscribeCommand),
  stream: () => import('./commands/stream.ts').then((m) => m.registerStreamCommand),
  replay: () => import('./commands/replay.ts').then((m) => m.registerReplayCommand),
  agent: () => import('./commands/agent.ts').then((m) => m.registerAgentCommand),
  crypto: () => import('./commands/crypto.ts').then((m) => m.registerCryptoCommand),
  sim: () => import('./commands/sim.ts').then((m) => m.registerSimCommand),
};

/** The registrars the command line needs: the one of its command, or every one. */
async function registrars(argv: readonly string[]): Promise<Registrar[]> {
  const one = COMMANDS[commandWord(argv) ?? ''];
  if (one) return [await one()];
  return Promise.all([...new Set(Object.values(COMMANDS))].map((load) => load()));
}

// The first word that is not a global option or its value (-c <file>, --config <file>).
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

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
  for (const register of await registrars(argv)) register(program, ctx, (code) => (exitCode = code));
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
