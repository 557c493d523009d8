// Exit codes of the `itrade` command (docs/cli.md): scripts can tell a usage mistake from a bad
// configuration from an unreachable service from a refusal by the market, and a clean gateway
// stop from a forced one.
import { constants } from 'node:os';
import { isItradeError } from '../protocol/errors.ts';

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

const CONFIG = new Set([
  'ITRADE_ERR_AUTH_CONFIG',
  'ITRADE_ERR_CHAIN_DEPLOYER_KEY',
  'ITRADE_ERR_CHAIN_DEPLOYMENT_MISSING',
  'ITRADE_ERR_CHAIN_WRONG_NETWORK',
]);

const UNAVAILABLE = new Set([
  'ITRADE_ERR_STACK_UNREACHABLE',
  'ITRADE_ERR_STACK_TOOL_MISSING',
  'ITRADE_ERR_CHAIN_RPC',
  'ITRADE_ERR_CHAIN_UNAVAILABLE',
  'ITRADE_ERR_GATEWAY_NOT_READY',
  'ITRADE_ERR_SIM_GATEWAY_UNREACHABLE',
  'ITRADE_ERR_CRYPTO_MQTT_CONNECT',
  'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE',
]);

const REFUSED = new Set([
  'ITRADE_ERR_SIM_TX_FAILED',
  'ITRADE_ERR_SIM_SUBSCRIBE_REFUSED',
  'ITRADE_ERR_SIM_GATEWAY_REFUSED',
  'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED',
  'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED',
  'ITRADE_ERR_CRYPTO_KEY_AGENT_REFUSED',
  'ITRADE_ERR_BROKER_ACTIVATION_REJECTED',
  'ITRADE_ERR_AUTH_NOT_PRINCIPAL',
  'ITRADE_ERR_AUTH_NOT_AUTHORISED',
  'ITRADE_ERR_REPLAY_NOT_SUBSCRIBED',
  'ITRADE_ERR_REPLAY_BEFORE_START',
  'ITRADE_ERR_REPLAY_PAID_UP',
]);

export function exitCodeFor(err: unknown): number {
  if (!isItradeError(err)) return EXIT.failed;
  if (err.code.startsWith('ITRADE_ERR_CONFIG_') || CONFIG.has(err.code)) return EXIT.config;
  if (UNAVAILABLE.has(err.code)) return EXIT.unavailable;
  if (REFUSED.has(err.code)) return EXIT.refused;
  return EXIT.failed;
}
