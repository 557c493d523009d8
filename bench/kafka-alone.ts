// Kafka's own share of the paper workload: a kafkajs producer alone (idempotent, acks=all, one
// batch in flight, as the bridge's writer and store use it) on the same topic layout (one topic
// per sensor, the bridge's partitions and replication), offered the same rate open loop. Each
// write is timed from its due time to its acknowledgement, so the figure is what acks=all costs
// on this machine in this run, the second part of the gateway's latency beside raw Aedes'.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicMessages } from 'kafkajs';
import { CompressionTypes, Kafka, logLevel } from '../lib/kafkajs.ts';
import { Samples, summarize, type Summary } from './stats.ts';

export interface KafkaAloneSpec {
  brokers: string[];
  topics: number;
  ratePerTopic: number;
  durationMs: number;
  warmupMs: number;
  payloadBytes: number;
  partitions: number;
  replicationFactor: number;
  /** How long an idle producer waits to gather a batch (the bridge's lingerMs). */
  lingerMs: number;
}

export interface KafkaAloneResult {
  /** Prefix of this run's topics (deleted when it ends). */
  topicPrefix: string;
  offeredRate: number;
  written: number;
  failed: number;
  write: Summary;
  batches: number;
}

export async function kafkaAlone(spec: KafkaAloneSpec): Promise<KafkaAloneResult> {
  const kafka = new Kafka({ brokers: spec.brokers, clientId: 'itrade-bench-kafka-alone', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const run = `bench-kafka-alone-${Date.now().toString(36)}`;
  const topics = Array.from({ length: spec.topics }, () => `${run}.0x${randomBytes(20).toString('hex')}`);
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({
        topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
      })),
      waitForLeaders: true,
    });
    // The gateway's sensor topics were made at activation and written to since, long before its
    // measured run; a topic's first writes here pay for making its log (seen 2026-12-03: a
    // request handler busy 12 s after 100 topics were made, writes waiting 10-14 s). So one
    // write on every topic is acknowledged before the clock starts.
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: topics.map((topic) => ({ topic, messages: [{ value: Buffer.alloc(spec.payloadBytes) }] })),
    });
    const out = await openLoop(spec, topics, (topicMessages) =>
      producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages }),
    );
    return { topicPrefix: `${run}.`, ...out };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

interface Due {
  topic: string;
  at: number;
  counted: boolean;
}

// The schedule: write k of topic i is due at start + (k + i / topics) / rate. Whatever is due when
// the previous batch is acknowledged (or after lingerMs when idle) leaves as the next batch.
async function openLoop(
  spec: KafkaAloneSpec,
  topics: string[],
  send: (m: TopicMessages[]) => Promise<unknown>,
): Promise<Omit<KafkaAloneResult, 'topicPrefix'>> {
  const value = randomBytes(spec.payloadBytes);
  const interval = 1000 / spec.ratePerTopic;
  const start = performance.now() + 100;
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const next = topics.map((_, i) => start + (interval * i) / topics.length);
  const lat = new Samples();
  let failed = 0;
  let batches = 0;
  for (;;) {
    const now = performance.now();
    const due: Due[] = [];
    topics.forEach((topic, i) => {
      for (; next[i]! <= now && next[i]! < end; next[i]! += interval)
        due.push({ topic, at: next[i]!, counted: next[i]! >= measureFrom });
    });
    if (due.length === 0) {
      if (now >= end) break;
      await sleep(spec.lingerMs || 1);
      continue;
    }
    const byTopic = new Map<string, { value: Buffer }[]>();
    for (const d of due) (byTopic.get(d.topic) ?? byTopic.set(d.topic, []).get(d.topic)!).push({ value });
    // Batches of the measured writes only, as `written` counts them (warm-up ones are not).
    if (due.some((d) => d.counted)) batches++;
    const ok = await send([...byTopic].map(([topic, messages]) => ({ topic, messages }))).then(
      () => true,
      () => false,
    );
    const done = performance.now();
    for (const d of due) if (d.counted) ok ? lat.add(done - d.at) : failed++;
  }
  const write = summarize(lat.values());
  return { offeredRate: spec.ratePerTopic * topics.length, written: write.count, failed, write, batches };
}
