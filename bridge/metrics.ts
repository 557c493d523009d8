// The bridge's Prometheus metrics, registered in the registry the gateway passes in (served on
// the operator endpoint's /metrics, docs/operations.md). Names follow the Prometheus conventions: base units (seconds,
// bytes), `_total` for counters. docs/bridge.md lists them with what to alert on.
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export interface BufferState {
  entries: number;
  bytes: number;
  kafkaAvailable: boolean;
}

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;

/** `bufferState` is read at scrape time, so the hot path pays nothing for the gauges. */
export function createBridgeMetrics(
  registry: Registry,
  bufferState: () => BufferState,
  replaysActive: () => { mqtt: number; http: number },
) {
  const registers = [registry];
  new Gauge({
    name: 'itrade_bridge_buffer_entries',
    help: 'Entries accepted from the broker and not yet acknowledged by Kafka.',
    registers,
    collect() {
      this.set(bufferState().entries);
    },
  });
  new Gauge({
    name: 'itrade_bridge_buffer_bytes',
    help: 'Payload bytes accepted from the broker and not yet acknowledged by Kafka.',
    registers,
    collect() {
      this.set(bufferState().bytes);
    },
  });
  new Gauge({
    name: 'itrade_bridge_kafka_available',
    help: '1 while Kafka acknowledges writes in time, 0 while a write is stalled (bridge.producer.stallWarnMs).',
    registers,
    collect() {
      this.set(bufferState().kafkaAvailable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'itrade_bridge_replays_active',
    help: 'Replays running now, by channel (mqtt, http).',
    labelNames: ['channel'],
    registers,
    collect() {
      const a = replaysActive();
      this.set({ channel: 'mqtt' }, a.mqtt);
      this.set({ channel: 'http' }, a.http);
    },
  });
  return {
    refused: new Counter({
      name: 'itrade_bridge_refused_total',
      help: 'Publishes the bridge refused, by QoS and reason (buffer_full, qos0_shed, too_large, bad_publish, closed).',
      labelNames: ['qos', 'reason'],
      registers,
    }),
    written: new Counter({
      name: 'itrade_bridge_written_entries_total',
      help: 'Entries Kafka acknowledged (acks=all).',
      registers,
    }),
    resendsRecognised: new Counter({
      name: 'itrade_bridge_resends_recognised_total',
      help:
        'QoS 1 publishes recognised as a resend of one already taken (by this instance, bridge.buffer.resendWindow, ' +
        "or found in the sensor's log, bridge.resend): answered with the original offset, not written again.",
      registers,
    }),
    resendLookups: new Counter({
      name: 'itrade_bridge_resend_lookups_total',
      help:
        "Resends (DUP set) this instance did not recognise, looked for in the sensor's log, by result: found " +
        '(not written again), absent (written), failed (Kafka did not answer in time: written, maybe twice).',
      labelNames: ['result'],
      registers,
    }),
    resendLookupSeconds: new Histogram({
      name: 'itrade_bridge_resend_lookup_seconds',
      help: "Time a look-up of a resend in the sensor's log took (the PUBACK delay it adds), failed ones included.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    writeFailed: new Counter({
      name: 'itrade_bridge_write_failed_entries_total',
      help: 'Entries Kafka refused with a permanent error (their publishes were rejected, not acknowledged).',
      registers,
    }),
    kafkaWriteSeconds: new Histogram({
      name: 'itrade_bridge_kafka_write_seconds',
      help: 'Time from sending a batch to Kafka until Kafka acknowledged it, retries included.',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    publishAckSeconds: new Histogram({
      name: 'itrade_bridge_publish_ack_seconds',
      help:
        'Time from the broker handing a publish to the bridge until it is durable in Kafka (the PUBACK ' +
        'delay the bridge adds).',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    }),
    batchEntries: new Histogram({
      name: 'itrade_bridge_batch_entries',
      help: 'Entries per Kafka produce request.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    batchBytes: new Histogram({
      name: 'itrade_bridge_batch_bytes',
      help: 'Payload bytes per Kafka produce request.',
      buckets: exponentialBuckets(256, 4, 8),
      registers,
    }),
    producerMetadata: new Counter({
      name: 'itrade_bridge_producer_metadata_requests_total',
      help:
        "Metadata requests of the bridge's producer: one when it first writes to topics it has not " +
        'written to (all the known ones at once), more when Kafka moves partition leaders.',
      registers,
    }),
    producerRestarts: new Counter({
      name: 'itrade_bridge_producer_restarts_total',
      help:
        'Times the idempotent producer was replaced after Kafka lost its state ' +
        '(a batch may then be written twice).',
      registers,
    }),
    topicsCreated: new Counter({
      name: 'itrade_bridge_topics_created_total',
      help: 'Sensor topics the bridge created.',
      registers,
    }),
    replayEntries: new Counter({
      name: 'itrade_bridge_replay_entries_total',
      help: 'History entries sent to buyers (rate() gives entries/s), by channel.',
      labelNames: ['channel'],
      registers,
    }),
    replayEnded: new Counter({
      name: 'itrade_bridge_replays_total',
      help:
        'Replays ended, by channel and reason (caught-up, paid-limit, limit, cancelled, ack-timeout, ' +
        'not-entitled, error).',
      labelNames: ['channel', 'reason'],
      registers,
    }),
    replayRefused: new Counter({
      name: 'itrade_bridge_replay_refused_total',
      help: 'Replay requests refused, by channel and error code.',
      labelNames: ['channel', 'code'],
      registers,
    }),
  };
}
