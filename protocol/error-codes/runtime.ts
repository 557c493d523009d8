// Error codes of running traffic and operation: bridge, Kafka, replay, data sovereignty, abuse
// limits, readiness and shutdown.
// One part of the registry: protocol/error-codes.ts merges the parts; add a code here and to
// docs/errors.md (a test keeps the two in step).
import type { ErrorSpec } from '../errors.ts';
import { spec } from './spec.ts';

export const RUNTIME_ERRORS = {
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
} as const satisfies Record<string, ErrorSpec>;
