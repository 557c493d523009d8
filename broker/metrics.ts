// The broker's Prometheus metrics, in the gateway's one registry (docs/operations.md lists every
// metric with what to alert on). Labels are bounded: roles, QoS, and reasons derived from the
// fixed set of ITRADE_ERR_* codes, never client ids or topics. Gauges are read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import { ERROR_CODE_PREFIX } from '../protocol/error-codes.ts';
import { errorName } from '../protocol/errors.ts';
import type { Session } from './sessions.ts';

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;

const ROLES = ['sensor', 'principal', 'operator'] as const;

export function createBrokerMetrics(registry: Registry, live: { sessions: () => Session[]; inflight: () => number }) {
  const registers = [registry];
  new Gauge({
    name: 'itrade_broker_connections',
    help: 'Authenticated MQTT connections on this instance, by role (sensor, principal, operator).',
    labelNames: ['role'],
    registers,
    collect() {
      const counts: Record<string, number> = { sensor: 0, principal: 0, operator: 0 };
      for (const s of live.sessions()) counts[s.identity.kind] = (counts[s.identity.kind] ?? 0) + 1;
      for (const role of ROLES) this.set({ role }, counts[role]!);
    },
  });
  new Gauge({
    name: 'itrade_broker_publishes_in_flight',
    help: 'Publishes accepted and waiting for the history store (Kafka) before their PUBACK.',
    registers,
    collect() {
      this.set(live.inflight());
    },
  });
  return {
    connects: new Counter({
      name: 'itrade_broker_connects_total',
      help: 'Accepted MQTT connections, by role.',
      labelNames: ['role'],
      registers,
    }),
    connectRefused: new Counter({
      name: 'itrade_broker_connect_refused_total',
      help:
        `Refused MQTT connections, by reason (the error code without ${ERROR_CODE_PREFIX}, lower case) ` +
        'and the CONNACK return code sent.',
      labelNames: ['reason', 'connack'],
      registers,
    }),
    publishes: new Counter({
      name: 'itrade_broker_publishes_total',
      help: 'Publishes accepted from clients, by role and QoS.',
      labelNames: ['role', 'qos'],
      registers,
    }),
    publishRefused: new Counter({
      name: 'itrade_broker_publish_refused_total',
      help:
        'Publishes refused (no PUBACK, connection closed), by reason: publish_denied, payload_too_large, ' +
        'publish_rate, history_store (Kafka did not take it), gateway_shutting_down',
      labelNames: ['reason'],
      registers,
    }),
    subscribeRefused: new Counter({
      name: 'itrade_broker_subscribe_refused_total',
      help:
        'Subscription filters refused (SUBACK 0x80), by reason: acl, not_entitled, exhausted, ' +
        'chain_unavailable, topic_too_deep.',
      labelNames: ['reason'],
      registers,
    }),
    deliveries: new Counter({
      name: 'itrade_broker_deliveries_total',
      help: 'Messages delivered to clients, by kind: sensor_data (metered), notice, keys, replay, system, other.',
      labelNames: ['kind'],
      registers,
    }),
    meteredEntries: new Counter({
      name: 'itrade_broker_metered_entries_total',
      help: 'Live sensor entries delivered to buyers and counted against what they paid.',
      registers,
    }),
    notices: new Counter({
      name: 'itrade_broker_notices_total',
      help: 'Notices sent to buyers, by type.',
      labelNames: ['type'],
      registers,
    }),
    connectionErrors: new Counter({
      name: 'itrade_broker_connection_errors_total',
      help:
        'Connections Aedes closed on a protocol or limit error, by reason: packet_too_large, ' +
        'topic_too_deep, protocol, connect_timeout, queue_limit, drain_timeout, socket.',
      labelNames: ['reason'],
      registers,
    }),
  };
}

/** `ITRADE_ERR_AUTH_TOKEN_INVALID` -> `auth_token_invalid`; anything else -> `unexpected`. */
export function reasonOf(err: unknown): string {
  return errorName(err)?.toLowerCase() ?? 'unexpected';
}
