// The kafkajs clients of the bridge. Two client objects, because kafkajs applies one retry
// policy to a client's whole cluster (connect, metadata, requests):
//   write: retries without end (bounded backoff), so an outage makes appends wait, not fail, and
//          the idempotent producer keeps its sequence numbers across the retries;
//   read:  a few retries, so a replay or topic look-up during an outage fails fast and clearly.
// kafkajs 2.2.4 spreads `{ ...clusterRetry, ...retry }` into the producer, so its own
// "idempotent => infinite retries" default never applies (src/index.js producer()): we pass it.
import type { LogEntry, RetryOptions } from 'kafkajs';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import type { Logger } from '../../lib/log.ts';
import type { KafkaSecurity } from '../../config/clients.ts';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  retryInitialMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  /** TLS and SASL (config/clients.ts). */
  security?: KafkaSecurity;
}

export interface KafkaClients {
  write: Kafka;
  read: Kafka;
}

export function createKafkaClients(opts: KafkaClientOptions, log: Logger): KafkaClients {
  const base = {
    ...opts.security,
    brokers: [...opts.brokers],
    requestTimeout: opts.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log),
  };
  const writeRetry: RetryOptions = {
    retries: Number.MAX_SAFE_INTEGER,
    initialRetryTime: opts.retryInitialMs,
    maxRetryTime: opts.retryMaxMs,
    factor: 0.2,
    multiplier: 2,
  };
  const readRetry: RetryOptions = {
    retries: 3,
    initialRetryTime: opts.retryInitialMs,
    maxRetryTime: opts.retryMaxMs,
    factor: 0.2,
    multiplier: 2,
  };
  return {
    write: new Kafka({ ...base, clientId: `${opts.clientId}-bridge-write`, retry: writeRetry }),
    read: new Kafka({ ...base, clientId: `${opts.clientId}-bridge-read`, retry: readRetry }),
  };
}

// kafkajs logs every failed retry at ERROR; during an outage that is one line per attempt.
// The bridge reports the outage itself (one warning, metrics), so kafkajs lines go to debug,
// and a repeated text at most once per 10 s.
function pinoLogCreator(log: Logger): () => (e: LogEntry) => void {
  const last = new Map<string, number>();
  return () => (e: LogEntry) => {
    const now = Date.now();
    const key = `${e.namespace}:${e.log.message}`;
    if ((last.get(key) ?? 0) > now - 10_000) return;
    if (last.size > 1000) last.clear();
    last.set(key, now);
    log.debug({ kafkajs: e.namespace, kafkaLevel: e.label, detail: e.log.message }, 'kafkajs log');
  };
}
