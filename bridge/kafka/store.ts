// LogStore on Kafka through kafkajs 2.2.4: an idempotent producer with acks=all for appends
// (bridge/kafka/producer.ts), the admin client for topics and offsets, and bounded Fetch requests
// for reads.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { isItradeError, itradeError } from '../../protocol/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type {
  AppendRecord,
  Bounds,
  LogStore,
  PartitionRead,
  ReadLimits,
  StoredRecord,
  TopicSpec,
} from '../log-store.ts';
import type { KafkaClients } from './client.ts';
import { PartitionFetcher } from './fetch.ts';
import { AppendProducer } from './producer.ts';
import { errorType, groupByTopic, kafkaErrorType, keyPartition, offsetsOf, stored } from './records.ts';

// Errors after which this producer's id/sequence state is no use: a new producer (new id)
// writes the batch again. Only then can a record be written twice (at-least-once).
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);
const MAX_PRODUCER_RESTARTS = 3;

export interface KafkaStoreOptions {
  requestTimeoutMs: number;
  /** Called when the producer had to be replaced (see PRODUCER_STATE_ERRORS). */
  onProducerRestart?: (reason: string) => void;
  /** Called for each Metadata request of the producer (its metadata refreshes: a metric). */
  onProducerMetadata?: () => void;
}

/** ListOffsets asked again while kafkajs knows no leader for the topic (~3 s in all). */
const OFFSET_RETRIES = 6;

export class KafkaLogStore implements LogStore {
  private readonly producer: AppendProducer;
  private readonly admin: Admin;
  private adminReady: Promise<void> | undefined;
  private readonly fetcher: PartitionFetcher;
  /** The tail's long poll, on connections of its own: a read is never queued behind it (fetch.ts). */
  private readonly tailFetcher: PartitionFetcher;
  private readonly partitionCounts = new Map<string, number>();
  // murmur2 per record was ~9% of the write path's CPU; a sensor topic has one key.
  private readonly keyPartitions = new Map<string, number>();

  constructor(
    clients: KafkaClients,
    private readonly log: Logger,
    private readonly opts: KafkaStoreOptions,
  ) {
    const producerOpts = { requestTimeoutMs: opts.requestTimeoutMs, onMetadata: opts.onProducerMetadata };
    this.producer = new AppendProducer(clients.write, producerOpts, () => this.partitionCounts.keys());
    this.admin = clients.read.admin();
    this.fetcher = new PartitionFetcher(clients.read);
    this.tailFetcher = new PartitionFetcher(clients.read);
  }

  async ensureTopic(topic: string, spec: TopicSpec): Promise<boolean> {
    // A topic that exists costs one Metadata round about it alone. CreateTopics is a controller
    // round after a Metadata round about every topic kafkajs follows: a fresh instance asked that
    // for each of a storm's 100 sensors before their first subscriptions were granted (issue 16).
    if ((await this.partitionCount(topic, true).catch(() => 0)) > 0) return false;
    const configEntries = [
      { name: 'retention.ms', value: String(spec.retentionMs) },
      { name: 'min.insync.replicas', value: String(spec.minInsyncReplicas) },
      // CreateTime: the record timestamp is the gateway's receive time, so "history from T" means receive time.
      { name: 'message.timestamp.type', value: 'CreateTime' },
    ];
    let created = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connectAdmin();
        created ||= await this.admin.createTopics({
          topics: [{ topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor, configEntries }],
          waitForLeaders: true,
        });
        if (created) this.partitionCounts.set(topic, spec.partitions);
        else await this.partitionCount(topic, true);
        return created;
      } catch (err) {
        // Right after a create, a busy broker may still answer metadata with
        // UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's waitForLeaders does not retry (seen under the
        // bench's 5,000 activations): the topic exists, it is only not served yet. Ask again.
        if (attempt < 5 && kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') {
          await sleep(200 * attempt);
          continue;
        }
        throw isItradeError(err)
          ? err
          : itradeError('KAFKA_TOPIC', `topic ${topic}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async partitionOf(topic: string, key: string): Promise<number> {
    return this.partitionFor(topic, key, await this.partitionCount(topic));
  }

  async append(records: readonly AppendRecord[]): Promise<number[]> {
    if (records.length === 0) return [];
    const counts = new Map<string, number>();
    for (const r of records) if (!counts.has(r.topic)) counts.set(r.topic, await this.partitionCount(r.topic));
    const partitions = records.map((r) => this.partitionFor(r.topic, r.key, counts.get(r.topic)!));
    const topicMessages = groupByTopic(records, partitions);
    for (let restarts = 0; ; restarts++) {
      try {
        const meta = await this.producer.send(topicMessages);
        return offsetsOf(records, partitions, meta);
      } catch (err) {
        const type = errorType(err);
        if (type && PRODUCER_STATE_ERRORS.has(type) && restarts < MAX_PRODUCER_RESTARTS) {
          this.log.warn(
            { errorType: type, entries: records.length },
            'kafka producer state lost: new producer, batch written again',
          );
          this.opts.onProducerRestart?.(type);
          await this.producer.restart();
          continue;
        }
        throw itradeError('KAFKA_WRITE_FAILED', `${records.length} entries: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async read(topic: string, partition: number, offset: number, limits: ReadLimits): Promise<StoredRecord[]> {
    try {
      const got = await this.fetchFrom(topic, partition, offset, limits.maxBytes);
      return got.slice(0, limits.maxRecords).map((r) => stored(partition, r));
    } catch (err) {
      throw itradeError('KAFKA_READ_FAILED', `${topic}/${partition} at ${offset}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  // One Fetch per leader; when it fails (one partition out of range fails the whole answer in
  // kafkajs), each partition is read on its own, which handles that case.
  async readMany(requests: readonly PartitionRead[], limits: ReadLimits): Promise<StoredRecord[][]> {
    try {
      const got = await this.tailFetcher.fetchMany(requests, limits.maxBytes);
      return got.map((rs, i) => rs.slice(0, limits.maxRecords).map((r) => stored(requests[i]!.partition, r)));
    } catch {
      return Promise.all(requests.map((q) => this.read(q.topic, q.partition, q.offset, limits)));
    }
  }

  async bounds(topic: string, partition: number): Promise<Bounds> {
    try {
      const p = await this.listOffsets(topic, partition, () => this.admin.fetchTopicOffsets(topic));
      return { start: Number(p.low), end: Number(p.high) };
    } catch (err) {
      throw itradeError('KAFKA_READ_FAILED', `offsets of ${topic}/${partition}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async offsetForTime(topic: string, partition: number, timestamp: number): Promise<number> {
    try {
      // ListOffsets by time: the earliest offset whose timestamp is >= it, the log's end when
      // there is none; concurrent asks go out together (bridge/kafka/offsets.ts).
      const p = await this.listOffsets(topic, partition, async () => [
        { partition, offset: await this.fetcher.offsetForTime(topic, partition, timestamp) },
      ]);
      return p.offset;
    } catch (err) {
      throw itradeError('KAFKA_READ_FAILED', `offset by time in ${topic}/${partition}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * A ListOffsets answer for one partition. While kafkajs knows no leader for the topic (just
   * created, or its metadata is stale under load) its cluster asks no broker and the admin call
   * fails with a TypeError (`low.pop(...)` / `offsets.pop(...)` of an empty answer, kafkajs 2.2.4
   * src/admin/index.js): its retrier bails on that, so we refresh the topic's metadata and ask again.
   */
  private async listOffsets<T extends { partition: number }>(
    topic: string,
    partition: number,
    ask: () => Promise<T[]>,
  ): Promise<T> {
    await this.connectAdmin();
    for (let attempt = 0; ; attempt++) {
      try {
        const p = (await ask()).find((o) => o.partition === partition);
        if (p) return p;
        if (attempt >= OFFSET_RETRIES) throw new Error(`no partition ${partition}`);
      } catch (err) {
        if (!(err instanceof TypeError) || attempt >= OFFSET_RETRIES) throw err;
      }
      await this.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      await sleep(50 * 2 ** attempt);
    }
  }

  async close(): Promise<void> {
    const fetchers = [this.fetcher.close(), this.tailFetcher.close()];
    await Promise.allSettled([this.producer.close(), this.admin.disconnect(), ...fetchers]);
  }

  // A read below the log start (retention) starts at the log start; past the end, nothing.
  private async fetchFrom(topic: string, partition: number, offset: number, maxBytes: number) {
    try {
      return await this.fetcher.fetch(topic, partition, offset, maxBytes);
    } catch (err) {
      if (errorType(err) !== 'OFFSET_OUT_OF_RANGE') throw err;
      const b = await this.bounds(topic, partition);
      if (offset >= b.end) return [];
      return this.fetcher.fetch(topic, partition, Math.max(offset, b.start), maxBytes);
    }
  }

  private connectAdmin(): Promise<void> {
    this.adminReady ??= this.admin.connect().catch((err: unknown) => {
      this.adminReady = undefined;
      throw err;
    });
    return this.adminReady;
  }

  private partitionFor(topic: string, key: string, count: number): number {
    const memo = `${count}/${topic}/${key}`;
    let p = this.keyPartitions.get(memo);
    if (p === undefined) {
      if (this.keyPartitions.size >= 100_000) this.keyPartitions.clear();
      this.keyPartitions.set(memo, (p = keyPartition(topic, key, count)));
    }
    return p;
  }

  private async partitionCount(topic: string, refresh = false): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined && !refresh) return known;
    try {
      await this.connectAdmin();
      const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
      const n = md.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (n === 0) throw new Error('no partitions');
      this.partitionCounts.set(topic, n);
      return n;
    } catch (err) {
      throw itradeError('KAFKA_TOPIC', `topic ${topic} not found: ${(err as Error).message}`, { cause: err });
    }
  }
}
