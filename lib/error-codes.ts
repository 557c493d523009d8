// Registry of every error code. Add new codes here and to docs/errors.md (a test checks both).
// Names group by component: CONFIG_*, STACK_*, and later AUTH_*, CHAIN_*, KAFKA_*, ...
import type { ErrorSpec } from './errors.ts';

function spec<S extends ErrorSpec>(s: S): S {
  return s;
}

export const ERROR_SPECS = {
  // --- configuration (fail fast at start-up) ---
  CONFIG_FILE: spec({ code: 'ITRADE_ERR_CONFIG_FILE', message: 'configuration file cannot be read' }),
  CONFIG_YAML: spec({ code: 'ITRADE_ERR_CONFIG_YAML', message: 'configuration file is not valid YAML' }),
  CONFIG_INVALID: spec({ code: 'ITRADE_ERR_CONFIG_INVALID', message: 'configuration value is invalid' }),
  CONFIG_ENV: spec({ code: 'ITRADE_ERR_CONFIG_ENV', message: 'environment variable referenced by the configuration is not set' }),

  // --- local stack (Redis, Kafka, anvil) ---
  STACK_TOOL_MISSING: spec({ code: 'ITRADE_ERR_STACK_TOOL_MISSING', message: 'a program the local stack needs is not installed' }),
  STACK_INSTALL: spec({ code: 'ITRADE_ERR_STACK_INSTALL', message: 'installing a local stack component failed' }),
  STACK_PORT_IN_USE: spec({ code: 'ITRADE_ERR_STACK_PORT_IN_USE', message: 'a port the local stack needs is taken by another process' }),
  STACK_START: spec({ code: 'ITRADE_ERR_STACK_START', message: 'a local stack service did not start or did not answer in time' }),
  STACK_UNREACHABLE: spec({ code: 'ITRADE_ERR_STACK_UNREACHABLE', message: 'an external service named in the configuration does not answer' }),

  // --- contracts (compile, deploy, deployment file) ---
  CHAIN_COMPILE: spec({ code: 'ITRADE_ERR_CHAIN_COMPILE', message: 'the Solidity sources did not compile' }),
  CHAIN_RPC: spec({ code: 'ITRADE_ERR_CHAIN_RPC', message: 'the Ethereum node does not answer' }),
  CHAIN_DEPLOYER_KEY: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOYER_KEY', message: 'no usable deployer key for this chain' }),
  CHAIN_DEPLOY: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOY', message: 'deploying the marketplace contract failed' }),
  CHAIN_DEPLOYMENT_MISSING: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOYMENT_MISSING', message: 'no marketplace address: the deployment file is missing or unreadable' }),
  CHAIN_DEPLOYMENT_STALE: spec({ code: 'ITRADE_ERR_CHAIN_DEPLOYMENT_STALE', message: 'the recorded marketplace is not on this chain' }),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_SPECS;
