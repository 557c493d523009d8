// Error codes of start-up and tooling: configuration, the local stack, contracts, the simulator
// and the market CLI.
// One part of the registry: protocol/error-codes.ts merges the parts; add a code here and to
// docs/errors.md (a test keeps the two in step).
import type { ErrorSpec } from '../errors.ts';
import { spec } from './spec.ts';

export const SETUP_ERRORS = {
  // --- configuration (fail fast at start-up) ---
  CONFIG_FILE: spec({ code: 'ITRADE_ERR_CONFIG_FILE', message: 'configuration file cannot be read' }),
  CONFIG_YAML: spec({ code: 'ITRADE_ERR_CONFIG_YAML', message: 'configuration file is not valid YAML' }),
  CONFIG_INVALID: spec({ code: 'ITRADE_ERR_CONFIG_INVALID', message: 'configuration value is invalid' }),
  CONFIG_ENV: spec({
    code: 'ITRADE_ERR_CONFIG_ENV',
    message: 'environment variable referenced by the configuration is not set',
  }),

  // --- local stack (Redis, Kafka, anvil) ---
  STACK_TOOL_MISSING: spec({
    code: 'ITRADE_ERR_STACK_TOOL_MISSING',
    message: 'a program the local stack needs is not installed',
  }),
  STACK_INSTALL: spec({ code: 'ITRADE_ERR_STACK_INSTALL', message: 'installing a local stack component failed' }),
  STACK_PORT_IN_USE: spec({
    code: 'ITRADE_ERR_STACK_PORT_IN_USE',
    message: 'a port the local stack needs is taken by another process',
  }),
  STACK_START: spec({
    code: 'ITRADE_ERR_STACK_START',
    message: 'a local stack service did not start or did not answer in time',
  }),
  STACK_UNREACHABLE: spec({
    code: 'ITRADE_ERR_STACK_UNREACHABLE',
    message: 'an external service named in the configuration does not answer',
  }),

  // --- contracts (compile, deploy, deployment file) ---
  CHAIN_COMPILE: spec({ code: 'ITRADE_ERR_CHAIN_COMPILE', message: 'the Solidity sources did not compile' }),
  CHAIN_RPC: spec({ code: 'ITRADE_ERR_CHAIN_RPC', message: 'the Ethereum node does not answer' }),
  CHAIN_DEPLOYER_KEY: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOYER_KEY', message: 'no usable deployer key for this chain' }),
  CHAIN_DEPLOY: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOY', message: 'deploying the marketplace contract failed' }),
  CHAIN_DEPLOYMENT_MISSING: spec({
    code: 'ITRADE_ERR_CHAIN_DEPLOYMENT_MISSING',
    message: 'no marketplace address: the deployment file is missing or unreadable',
  }),
  CHAIN_DEPLOYMENT_STALE: spec({
    code: 'ITRADE_ERR_CHAIN_DEPLOYMENT_STALE',
    message: 'the recorded marketplace is not on this chain',
  }),
  CHAIN_WRONG_NETWORK: spec({
    code: 'ITRADE_ERR_CHAIN_WRONG_NETWORK',
    message: 'the node serves another chain than the one configured',
  }),
  CHAIN_KEY_MISMATCH: spec({
    code: 'ITRADE_ERR_CHAIN_KEY_MISMATCH',
    message: "a principal's RSA key does not match the hash the marketplace stores",
  }),

  // --- simulator and market CLI (firmware-sim/, itrade principal|sensor|market|subscribe|stream|replay|sim) ---
  SIM_GATEWAY_UNREACHABLE: spec({
    code: 'ITRADE_ERR_SIM_GATEWAY_UNREACHABLE',
    message: 'the gateway HTTP API does not answer',
  }),
  SIM_GATEWAY_REFUSED: spec({
    code: 'ITRADE_ERR_SIM_GATEWAY_REFUSED',
    message: 'the gateway HTTP API refused the request',
  }),
  SIM_FUNDING: spec({ code: 'ITRADE_ERR_SIM_FUNDING', message: 'no way to fund a new account on this chain' }),
  SIM_TX_FAILED: spec({ code: 'ITRADE_ERR_SIM_TX_FAILED', message: 'a marketplace transaction reverted' }),
  SIM_PROFILE: spec({
    code: 'ITRADE_ERR_SIM_PROFILE',
    message: 'the profile folder is missing, invalid, or lacks what this command needs',
  }),
  SIM_STATE_STALE: spec({
    code: 'ITRADE_ERR_SIM_STATE_STALE',
    message: 'the data folder was made for another chain or marketplace',
  }),
  SIM_SUBSCRIBE_REFUSED: spec({
    code: 'ITRADE_ERR_SIM_SUBSCRIBE_REFUSED',
    message: 'the gateway refused the live subscription to a sensor',
  }),
  SIM_VERIFY_FAILED: spec({
    code: 'ITRADE_ERR_SIM_VERIFY_FAILED',
    message: 'the simulation saw readings that were lost, altered or not decrypted',
  }),
} as const satisfies Record<string, ErrorSpec>;
