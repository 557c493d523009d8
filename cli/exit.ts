// Exit codes of the `itrade` command (docs/cli.md): scripts can tell a usage mistake from a bad
// configuration from an unreachable service from a refusal by the market, and a clean gateway
// stop from a forced one.
import { constants } from 'node:os';
import { errorName, type ErrorName } from '../protocol/errors.ts';

export const EXIT = {
  ok: 0,
  failed: 1, // the operation ran and failed (a gateway that could not stop in time, too)
  usage: 2, // unknown command or option, missing or malformed argument
  config: 3, // the configuration file (or a variable it reads) is unreadable or invalid
  unavailable: 4, // a service (Redis, Kafka, chain, gateway) cannot be reached
  refused: 5, // the chain or the gateway said no: a reverted transaction, no subscription, no entries left
} as const;

/** A gateway forced out by a second SIGINT/SIGTERM exits 128 + the signal number (130, 143), as a shell reports it. */
export function exitForSignal(signal: 'SIGINT' | 'SIGTERM'): number {
  return 128 + constants.signals[signal];
}

const CONFIG = new Set<ErrorName>([
  'AUTH_CONFIG',
  'CHAIN_DEPLOYER_KEY',
  'CHAIN_DEPLOYMENT_MISSING',
  'CHAIN_WRONG_NETWORK',
]);

const UNAVAILABLE = new Set<ErrorName>([
  'STACK_UNREACHABLE',
  'STACK_TOOL_MISSING',
  'CHAIN_RPC',
  'CHAIN_UNAVAILABLE',
  'GATEWAY_NOT_READY',
  'SIM_GATEWAY_UNREACHABLE',
  'CRYPTO_MQTT_CONNECT',
  'CRYPTO_KEY_AGENT_UNAVAILABLE',
]);

const REFUSED = new Set<ErrorName>([
  'SIM_TX_FAILED',
  'SIM_SUBSCRIBE_REFUSED',
  'SIM_GATEWAY_REFUSED',
  'CRYPTO_KEY_NOT_ENTITLED',
  'CRYPTO_KEY_NOT_COVERED',
  'CRYPTO_KEY_AGENT_REFUSED',
  'BROKER_ACTIVATION_REJECTED',
  'AUTH_NOT_PRINCIPAL',
  'AUTH_NOT_AUTHORISED',
  'REPLAY_NOT_SUBSCRIBED',
  'REPLAY_BEFORE_START',
  'REPLAY_PAID_UP',
]);

export function exitCodeFor(err: unknown): number {
  const name = errorName(err);
  if (name === undefined) return EXIT.failed;
  if (name.startsWith('CONFIG_') || CONFIG.has(name)) return EXIT.config;
  if (UNAVAILABLE.has(name)) return EXIT.unavailable;
  if (REFUSED.has(name)) return EXIT.refused;
  return EXIT.failed;
}
