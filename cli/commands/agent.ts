// itrade agent: the seller's key agent (docs/key-exchange.md), from a profile or from key files
// alone. It prints `key agent ready` on stdout once it is subscribed to its requests, and writes
// --ready-file then, so a script knows when buyers can be answered.
import type { Command } from 'commander';
import { gatewayUrls } from '../../participant/endpoints.ts';
import { profileAgentSource, serveKeys, type AgentSource } from '../../participant/sessions.ts';
import { loadPrincipalKey } from '../../sdk/node.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, untilInterrupted, withMarket, type MarketOptions } from '../market-session.ts';
import { address } from '../args.ts';

interface AgentOptions extends MarketOptions {
  keyFile?: string;
  keysDir?: string;
  seller?: string;
  token?: string;
  readyFile?: string;
}

async function keyFilesSource(cmd: Command, o: AgentOptions): Promise<AgentSource> {
  const token = o.token ?? process.env.ITRADE_TOKEN;
  if (!o.seller || !o.keysDir || !token)
    cmd.error('error: with --key-file, give --seller, --keys-dir and --token (or $ITRADE_TOKEN) too', {
      exitCode: EXIT.usage,
    });
  return {
    seller: o.seller,
    keysDir: o.keysDir,
    principalKey: await loadPrincipalKey(o.keyFile!),
    token: () => Promise.resolve(token),
  };
}

export function registerAgentCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = marketOptions(program.command('agent'));
  cmd
    .description(
      "Run your key agent as a seller (docs/key-exchange.md): wraps your sensors' keys for entitled buyers, " +
        'until Ctrl-C',
    )
    .option('--key-file <file>', "run from key files alone: the seller's RSA private key (PEM), instead of a profile")
    .option('--keys-dir <folder>', "with --key-file: the seller's sensor key files (<sensor>.json)")
    .option('--seller <address>', "with --key-file: the seller's principal address", address)
    .option('--token <jwt>', "with --key-file: the seller's principal JWT (default: $ITRADE_TOKEN)")
    .option('--ready-file <file>', 'write this file once the agent answers requests (removed when it stops)')
    .action(async (o: AgentOptions) => {
      const c = ctx();
      const stop = untilInterrupted();
      const io = { out: c.out, err: c.err, signal: stop.signal, log: c.log() };
      try {
        if (o.keyFile) {
          const mqttUrl = o.mqtt ?? gatewayUrls(c.config()).mqttUrl;
          await serveKeys({ ...io, mqttUrl }, await keyFilesSource(cmd, o), o.readyFile);
        } else {
          await withMarket(c, o, async (s) =>
            serveKeys(
              { ...io, mqttUrl: s.endpoints.mqttUrl },
              await profileAgentSource(s.ctx, s.profile()),
              o.readyFile,
            ),
          );
        }
        setExit(EXIT.ok);
      } finally {
        stop.done();
      }
    });
}
