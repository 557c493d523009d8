// Registry of every error code. Add new codes here and to docs/errors.md (a test checks both).
// Names group by component: CONFIG_*, STACK_*, and later AUTH_*, CHAIN_*, KAFKA_*, ...
// This is the one file that spells a code out; everywhere else a code is named by its registry
// name (errorCode('BRIDGE_CLOSED'), isItradeError(err, 'BRIDGE_CLOSED')), so a typo is a type
// error, not a silent mismatch (test/protocol/error-literals.test.ts keeps it so).
import type { ErrorSpec } from './errors.ts';

export type ErrorCode = `ITRADE_ERR_${string}`;

/** What every code starts with. */
export const ERROR_CODE_PREFIX = 'ITRADE_ERR_';

/** Shaped like a code (registered or not, say from a newer peer): what a wire format can check. */
export function looksLikeErrorCode(s: string): s is ErrorCode {
  return /^ITRADE_ERR_[A-Z0-9_]{1,60}$/.test(s);
}

function spec<S extends ErrorSpec>(s: S): S {
  return s;
}

export const ERROR_SPECS = {
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
  // --- crypto and key exchange (envelopes, key files, RSA wrapping, KeyService) ---
  CRYPTO_ADDRESS_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_ADDRESS_INVALID',
    message: 'not a 0x-prefixed 20-byte hex address',
  }),
  CRYPTO_ENVELOPE_MALFORMED: spec({
    code: 'ITRADE_ERR_CRYPTO_ENVELOPE_MALFORMED',
    message: 'sensor data envelope is malformed',
  }),
  CRYPTO_UNKNOWN_KEY_ID: spec({
    code: 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID',
    message: 'no key with this key id is known',
  }),
  CRYPTO_DECRYPT_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_DECRYPT_FAILED',
    message: "envelope failed authentication: tampered, another sensor's, or the wrong key",
  }),
  CRYPTO_READING_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_READING_INVALID',
    message: 'decrypted payload is not a valid reading',
  }),
  CRYPTO_KEYFILE_PERMISSIONS: spec({
    code: 'ITRADE_ERR_CRYPTO_KEYFILE_PERMISSIONS',
    message: 'key file is accessible by group or others',
  }),
  CRYPTO_KEYFILE_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_KEYFILE_INVALID',
    message: 'key file cannot be read, created or parsed',
  }),
  CRYPTO_RSA_KEY_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_RSA_KEY_INVALID',
    message: 'RSA key is missing, malformed or shorter than 2048 bits',
  }),
  CRYPTO_UNWRAP_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_UNWRAP_FAILED',
    message: 'wrapped key cannot be unwrapped, is not signed by the seller, or is bound to another sensor or key id',
  }),
  CRYPTO_KEY_REQUEST_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID',
    message: 'key exchange message is malformed',
  }),
  CRYPTO_KEY_NOT_ENTITLED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED',
    message: 'no valid subscription with entries left for this sensor',
  }),
  CRYPTO_KEY_NOT_COVERED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED',
    message: 'key id was retired before the subscription started',
  }),
  CRYPTO_KEY_AGENT_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE',
    message: "the seller's key agent did not answer in time",
  }),
  CRYPTO_KEY_AGENT_REFUSED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_AGENT_REFUSED',
    message: "the seller's key agent refused the request",
  }),
  CRYPTO_KEY_BUSY: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_BUSY',
    message: 'too many key requests of this buyer are pending',
  }),
  CRYPTO_MQTT_CONNECT: spec({
    code: 'ITRADE_ERR_CRYPTO_MQTT_CONNECT',
    message: 'the key agent or buyer key helper cannot connect to the broker',
  }),
  CRYPTO_KEY_CHECK_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_CHECK_FAILED',
    message: 'the gateway could not check the subscription; retry later',
  }),
  CRYPTO_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CRYPTO_UNAVAILABLE',
    message: 'Web Crypto (globalThis.crypto.subtle) is not available here',
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
  // --- broker (MQTT front door, identities, HTTP API) and chain adapter ---
  AUTH_TOKEN_MISSING: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_MISSING',
    message: 'no token: the MQTT password (or the HTTP bearer) must be a JWT',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_INVALID',
    message: 'the token is malformed, not signed by this gateway, or uses another algorithm',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_EXPIRED: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_EXPIRED',
    message: 'the token has expired',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_REVOKED: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_REVOKED',
    message: 'the token was revoked by the operator',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_USERNAME_MISMATCH: spec({
    code: 'ITRADE_ERR_AUTH_USERNAME_MISMATCH',
    message: 'the MQTT username is not the subject of the token',
    mqttReturnCode: 4,
  }),
  AUTH_CLIENT_ID_REJECTED: spec({
    code: 'ITRADE_ERR_AUTH_CLIENT_ID_REJECTED',
    message: 'the MQTT client id does not belong to the token subject',
    mqttReturnCode: 2,
  }),
  AUTH_CERT_MISMATCH: spec({
    code: 'ITRADE_ERR_AUTH_CERT_MISMATCH',
    message: 'the client certificate does not name this sensor',
    mqttReturnCode: 5,
  }),
  AUTH_NOT_AUTHORISED: spec({
    code: 'ITRADE_ERR_AUTH_NOT_AUTHORISED',
    message: 'the identity is genuine but may not do this now',
    mqttReturnCode: 5,
    httpStatus: 403,
  }),
  AUTH_CHALLENGE_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_CHALLENGE_INVALID',
    message: 'the login challenge is unknown, expired or already used',
    httpStatus: 401,
  }),
  AUTH_SIGNATURE_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_SIGNATURE_INVALID',
    message: 'the signature does not recover the challenged account',
    httpStatus: 401,
  }),
  AUTH_NOT_PRINCIPAL: spec({
    code: 'ITRADE_ERR_AUTH_NOT_PRINCIPAL',
    message: 'the account owns no DataStreamPrincipal on the marketplace',
    httpStatus: 403,
  }),
  AUTH_CONFIG: spec({ code: 'ITRADE_ERR_AUTH_CONFIG', message: 'the token signing configuration is unusable' }),
  BROKER_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_BROKER_BAD_REQUEST',
    message: 'the request body is invalid',
    httpStatus: 400,
  }),
  BROKER_ACTIVATION_REJECTED: spec({
    code: 'ITRADE_ERR_BROKER_ACTIVATION_REJECTED',
    message: 'the transaction does not register an active sensor of the caller',
    httpStatus: 422,
  }),
  BROKER_PUBLISH_DENIED: spec({
    code: 'ITRADE_ERR_BROKER_PUBLISH_DENIED',
    message: 'this client may not publish to that topic',
  }),
  BROKER_PUBLISH_FAILED: spec({
    code: 'ITRADE_ERR_BROKER_PUBLISH_FAILED',
    message: 'the publish was not taken by the history store',
  }),
  BROKER_LISTENER: spec({ code: 'ITRADE_ERR_BROKER_LISTENER', message: 'an MQTT or HTTP listener cannot start' }),
  CHAIN_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CHAIN_UNAVAILABLE',
    message: 'the chain cannot be asked and nothing is cached',
    mqttReturnCode: 3,
    httpStatus: 503,
  }),

  // --- HTTP API (public API and operator endpoint: what fastify refuses before any route runs) ---
  HTTP_BODY_TOO_LARGE: spec({
    code: 'ITRADE_ERR_HTTP_BODY_TOO_LARGE',
    message: 'the request body is larger than the API accepts',
    httpStatus: 413,
  }),
  HTTP_BAD_JSON: spec({
    code: 'ITRADE_ERR_HTTP_BAD_JSON',
    message: 'the request body is not valid JSON',
    httpStatus: 400,
  }),
  HTTP_MEDIA_TYPE: spec({
    code: 'ITRADE_ERR_HTTP_MEDIA_TYPE',
    message: 'the request body must be JSON (Content-Type: application/json)',
    httpStatus: 415,
  }),
  HTTP_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_HTTP_BAD_REQUEST',
    message: 'the request is malformed (URL encoding, Content-Length)',
    httpStatus: 400,
  }),
  HTTP_URL_TOO_LONG: spec({
    code: 'ITRADE_ERR_HTTP_URL_TOO_LONG',
    message: 'a path parameter is longer than the API accepts',
    httpStatus: 414,
  }),
  HTTP_NOT_FOUND: spec({ code: 'ITRADE_ERR_HTTP_NOT_FOUND', message: 'no such route', httpStatus: 404 }),
  HTTP_METHOD_NOT_ALLOWED: spec({
    code: 'ITRADE_ERR_HTTP_METHOD_NOT_ALLOWED',
    message: 'the route does not take this method',
    httpStatus: 405,
  }),
  HTTP_INTERNAL: spec({
    code: 'ITRADE_ERR_HTTP_INTERNAL',
    message: 'internal error: the gateway could not serve the request (logged for the operator)',
    httpStatus: 500,
  }),

  // --- GraphQL API (docs/graphql.md) ---
  GRAPHQL_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_GRAPHQL_BAD_REQUEST',
    message: 'the GraphQL request does not parse or does not fit the schema',
    httpStatus: 400,
  }),
  GRAPHQL_BAD_ARGUMENT: spec({
    code: 'ITRADE_ERR_GRAPHQL_BAD_ARGUMENT',
    message: 'a GraphQL argument is out of range',
    httpStatus: 400,
  }),
  GRAPHQL_TOO_DEEP: spec({
    code: 'ITRADE_ERR_GRAPHQL_TOO_DEEP',
    message: 'the GraphQL query nests deeper than the gateway allows',
    httpStatus: 400,
  }),
  GRAPHQL_TOO_COSTLY: spec({
    code: 'ITRADE_ERR_GRAPHQL_TOO_COSTLY',
    message: 'the GraphQL query would cost more than the gateway allows',
    httpStatus: 400,
  }),
  WEB_WALLET: spec({
    code: 'ITRADE_ERR_WEB_WALLET',
    message: 'the web app has no wallet to use (an EIP-1193 provider), or it gave no account',
  }),
  WEB_KEY_MISSING: spec({
    code: 'ITRADE_ERR_WEB_KEY_MISSING',
    message: "this browser does not hold the principal's private key (import its backup file)",
  }),
  WEB_APP_NOT_BUILT: spec({
    code: 'ITRADE_ERR_WEB_APP_NOT_BUILT',
    message: 'the web app is not built (npm run build:web)',
    httpStatus: 404,
  }),

  // --- bridge (Kafka write-through, replay of history to buyers) ---
  BRIDGE_BUFFER_FULL: spec({
    code: 'ITRADE_ERR_BRIDGE_BUFFER_FULL',
    message: 'the bridge buffer is full (Kafka is slow or down): the publish was not taken',
    httpStatus: 503,
  }),
  BRIDGE_QOS0_SHED: spec({
    code: 'ITRADE_ERR_BRIDGE_QOS0_SHED',
    message: 'the bridge buffer is above its high-water mark: a QoS 0 publish was refused',
    httpStatus: 503,
  }),
  BRIDGE_PAYLOAD_TOO_LARGE: spec({
    code: 'ITRADE_ERR_BRIDGE_PAYLOAD_TOO_LARGE',
    message: 'the payload is larger than bridge.producer.maxPayloadBytes',
    httpStatus: 413,
  }),
  BRIDGE_BAD_PUBLISH: spec({
    code: 'ITRADE_ERR_BRIDGE_BAD_PUBLISH',
    message: 'the publish handed to the bridge names no valid sensor address',
    httpStatus: 400,
  }),
  BRIDGE_CLOSED: spec({
    code: 'ITRADE_ERR_BRIDGE_CLOSED',
    message: 'the bridge is shutting down and takes no new publishes',
    httpStatus: 503,
  }),
  KAFKA_WRITE_FAILED: spec({
    code: 'ITRADE_ERR_KAFKA_WRITE_FAILED',
    message: 'Kafka refused a write with a permanent error',
    httpStatus: 500,
  }),
  KAFKA_TOPIC: spec({
    code: 'ITRADE_ERR_KAFKA_TOPIC',
    message: 'a sensor topic could not be created or found in Kafka',
    httpStatus: 503,
  }),
  KAFKA_AUTH: spec({
    code: 'ITRADE_ERR_KAFKA_AUTH',
    message: 'Kafka refused the TLS handshake or the SASL credentials at start-up',
  }),
  REDIS_AUTH: spec({
    code: 'ITRADE_ERR_REDIS_AUTH',
    message: 'Redis refused the TLS handshake or the ACL user and password at start-up',
  }),
  KAFKA_READ_FAILED: spec({
    code: 'ITRADE_ERR_KAFKA_READ_FAILED',
    message: 'reading history from Kafka failed',
    httpStatus: 503,
  }),
  REPLAY_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_REPLAY_BAD_REQUEST',
    message: 'the replay request is malformed',
    httpStatus: 400,
  }),
  REPLAY_NOT_SUBSCRIBED: spec({
    code: 'ITRADE_ERR_REPLAY_NOT_SUBSCRIBED',
    message: 'the buyer has no valid subscription to this sensor',
    httpStatus: 403,
  }),
  REPLAY_BEFORE_START: spec({
    code: 'ITRADE_ERR_REPLAY_BEFORE_START',
    message: "the replay would start before the subscription's start timestamp",
    httpStatus: 403,
  }),
  REPLAY_PAID_UP: spec({
    code: 'ITRADE_ERR_REPLAY_PAID_UP',
    message: 'every data entry the buyer paid for has been delivered',
    httpStatus: 402,
  }),
  REPLAY_TOO_MANY: spec({
    code: 'ITRADE_ERR_REPLAY_TOO_MANY',
    message: 'too many replays at once (per buyer or for the gateway)',
    httpStatus: 429,
  }),
  REPLAY_DUPLICATE_ID: spec({
    code: 'ITRADE_ERR_REPLAY_DUPLICATE_ID',
    message: 'a replay with this id is already running for the buyer',
    httpStatus: 409,
  }),

  // --- operator (data sovereignty, abuse limits, readiness, shutdown, CLI) ---
  SOVEREIGNTY_DENIED: spec({
    code: 'ITRADE_ERR_SOVEREIGNTY_DENIED',
    message: 'the client network may not use this gateway',
    mqttReturnCode: 5,
    httpStatus: 403,
  }),
  LIMIT_CONNECT_RATE: spec({
    code: 'ITRADE_ERR_LIMIT_CONNECT_RATE',
    message: 'too many connection attempts from this address: retry later',
    mqttReturnCode: 3,
  }),
  LIMIT_PUBLISH_RATE: spec({
    code: 'ITRADE_ERR_LIMIT_PUBLISH_RATE',
    message: 'the sensor publishes faster than broker.limits.publishRate allows',
  }),
  LIMIT_PAYLOAD_TOO_LARGE: spec({
    code: 'ITRADE_ERR_LIMIT_PAYLOAD_TOO_LARGE',
    message: 'the payload is larger than broker.limits.maxPayloadBytes',
  }),
  LIMIT_PACKET_TOO_LARGE: spec({
    code: 'ITRADE_ERR_LIMIT_PACKET_TOO_LARGE',
    message: 'the MQTT packet is longer than any packet the broker accepts',
  }),
  LIMIT_TOPIC_TOO_DEEP: spec({
    code: 'ITRADE_ERR_LIMIT_TOPIC_TOO_DEEP',
    message: 'the topic has more levels than broker.limits.maxTopicLevels',
  }),
  GATEWAY_SHUTTING_DOWN: spec({
    code: 'ITRADE_ERR_GATEWAY_SHUTTING_DOWN',
    message: 'the gateway is shutting down: connect to another instance or retry',
    mqttReturnCode: 3,
    httpStatus: 503,
  }),
  GATEWAY_NOT_READY: spec({
    code: 'ITRADE_ERR_GATEWAY_NOT_READY',
    message: 'a service the gateway needs (Redis, Kafka, chain) does not answer',
    httpStatus: 503,
  }),
  ADMIN_CLIENT_UNKNOWN: spec({
    code: 'ITRADE_ERR_ADMIN_CLIENT_UNKNOWN',
    message: 'no gateway instance serves a client with this id',
    httpStatus: 404,
  }),
  GATEWAY_FORCED_EXIT: spec({
    code: 'ITRADE_ERR_GATEWAY_FORCED_EXIT',
    message: 'the gateway did not shut down in time, or a second signal forced it out',
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

export type ErrorName = keyof typeof ERROR_SPECS;
