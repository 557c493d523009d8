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

  // --- bridge (Kafka write-through, replay of history to buyers) ---
  BRIDGE_BUFFER_FULL: spec({ code: 'ITRADE_ERR_BRIDGE_BUFFER_FULL', message: 'the bridge buffer is full (Kafka is slow or down): the publish was not taken', httpStatus: 503 }),
  BRIDGE_QOS0_SHED: spec({ code: 'ITRADE_ERR_BRIDGE_QOS0_SHED', message: 'the bridge buffer is above its high-water mark: a QoS 0 publish was refused', httpStatus: 503 }),
  BRIDGE_PAYLOAD_TOO_LARGE: spec({ code: 'ITRADE_ERR_BRIDGE_PAYLOAD_TOO_LARGE', message: 'the payload is larger than bridge.producer.maxPayloadBytes', httpStatus: 413 }),
  BRIDGE_BAD_PUBLISH: spec({ code: 'ITRADE_ERR_BRIDGE_BAD_PUBLISH', message: 'the publish handed to the bridge names no valid sensor address', httpStatus: 400 }),
  BRIDGE_CLOSED: spec({ code: 'ITRADE_ERR_BRIDGE_CLOSED', message: 'the bridge is shutting down and takes no new publishes', httpStatus: 503 }),
  KAFKA_WRITE_FAILED: spec({ code: 'ITRADE_ERR_KAFKA_WRITE_FAILED', message: 'Kafka refused a write with a permanent error', httpStatus: 500 }),
  KAFKA_TOPIC: spec({ code: 'ITRADE_ERR_KAFKA_TOPIC', message: 'a sensor topic could not be created or found in Kafka', httpStatus: 503 }),
  KAFKA_READ_FAILED: spec({ code: 'ITRADE_ERR_KAFKA_READ_FAILED', message: 'reading history from Kafka failed', httpStatus: 503 }),
  REPLAY_BAD_REQUEST: spec({ code: 'ITRADE_ERR_REPLAY_BAD_REQUEST', message: 'the replay request is malformed', httpStatus: 400 }),
  REPLAY_NOT_SUBSCRIBED: spec({ code: 'ITRADE_ERR_REPLAY_NOT_SUBSCRIBED', message: 'the buyer has no valid subscription to this sensor', httpStatus: 403 }),
  REPLAY_BEFORE_START: spec({ code: 'ITRADE_ERR_REPLAY_BEFORE_START', message: 'the replay would start before the subscription\'s start timestamp', httpStatus: 403 }),
  REPLAY_PAID_UP: spec({ code: 'ITRADE_ERR_REPLAY_PAID_UP', message: 'every data entry the buyer paid for has been delivered', httpStatus: 402 }),
  REPLAY_TOO_MANY: spec({ code: 'ITRADE_ERR_REPLAY_TOO_MANY', message: 'too many replays at once (per buyer or for the gateway)', httpStatus: 429 }),
  REPLAY_DUPLICATE_ID: spec({ code: 'ITRADE_ERR_REPLAY_DUPLICATE_ID', message: 'a replay with this id is already running for the buyer', httpStatus: 409 }),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_SPECS;
