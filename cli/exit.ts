// Exit codes of the `itrade` command (docs/cli.md): scripts can tell a usage mistake from a bad
// configuration from an unreachable service.
import { isItradeError } from '../lib/errors.ts';

export const EXIT = {
  ok: 0,
  failed: 1, // the operation ran and failed
  usage: 2, // unknown command or option, missing argument
  config: 3, // the configuration file is unreadable or invalid
  unavailable: 4, // a service (Redis, Kafka, chain, gateway) cannot be reached
} as const;

export function exitCodeFor(err: unknown): number {
  if (!isItradeError(err)) return EXIT.failed;
  if (err.code.startsWith('ITRADE_ERR_CONFIG_')) return EXIT.config;
  if (err.code === 'ITRADE_ERR_STACK_UNREACHABLE' || err.code === 'ITRADE_ERR_STACK_TOOL_MISSING') return EXIT.unavailable;
  return EXIT.failed;
}
