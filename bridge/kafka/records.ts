// The kafkajs side of KafkaLogStore's records (bridge/kafka/store.ts): where a key's records go
// (kafkajs's own partitioner), a produce request's messages per topic, the offsets a produce
// response gives them, a fetched record as the LogStore returns it, and the error type of a
// kafkajs error.
import { Partitioners } from 'kafkajs';
import { itradeError } from '../../protocol/errors.ts';
import type { AppendRecord, StoredRecord } from '../log-store.ts';
import type { FetchedRecord } from './fetch.ts';

const keyPartitioner = Partitioners.DefaultPartitioner();

export function stored(partition: number, r: FetchedRecord): StoredRecord {
  return {
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.toString() ?? null,
    value: r.value,
    headers: r.headers,
  };
}

/** kafkajs's own key partitioner (murmur2, as the Java client), so any Kafka tool agrees. */
export function keyPartition(topic: string, key: string, count: number): number {
  const partitionMetadata = Array.from({ length: count }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return keyPartitioner({ topic, partitionMetadata, message: { key, value: null } });
}

export function groupByTopic(records: readonly AppendRecord[], partitions: number[]) {
  const byTopic = new Map<
    string,
    { key: string; value: Buffer; partition: number; timestamp: string; headers: Record<string, string> }[]
  >();
  records.forEach((r, i) => {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push({
      key: r.key,
      value: r.value,
      partition: partitions[i]!,
      timestamp: String(r.timestamp),
      headers: r.headers,
    });
  });
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

// A produce response gives each partition's base offset; records of one partition keep the
// order they were given in (producer/groupMessagesPerPartition.js).
export function offsetsOf(
  records: readonly AppendRecord[],
  partitions: number[],
  meta: { topicName: string; partition: number; baseOffset?: string }[],
): number[] {
  const next = new Map<string, number>();
  for (const m of meta) next.set(`${m.topicName}/${m.partition}`, Number(m.baseOffset));
  return records.map((r, i) => {
    const k = `${r.topic}/${partitions[i]}`;
    const o = next.get(k);
    if (o === undefined) throw itradeError('KAFKA_WRITE_FAILED', `no offset for ${k} in the produce response`);
    next.set(k, o + 1);
    return o;
  });
}

export function errorType(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const t = (e as { type?: string }).type;
    if (t) return t;
  }
  return undefined;
}

/** The protocol error type of a kafkajs error, looked for through the errors that wrap it. */
export function kafkaErrorType(err: unknown): string | undefined {
  for (
    let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.type === 'string') return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}
