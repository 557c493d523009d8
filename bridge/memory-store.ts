// An in-memory LogStore for unit tests of the writer and replay logic. It keeps the contract of
// the Kafka store (same suite), and can be made unavailable: appends then wait, as kafkajs's
// producer does while Kafka is down, and go through in order when it comes back.
import { itradeError } from '../protocol/errors.ts';
import type {
  AppendRecord,
  Bounds,
  LogStore,
  PartitionRead,
  ReadLimits,
  StoredRecord,
  TopicSpec,
} from './log-store.ts';

interface MemoryTopic {
  spec: TopicSpec;
  partitions: StoredRecord[][];
}

export class MemoryLogStore implements LogStore {
  private readonly topics = new Map<string, MemoryTopic>();
  private available = true;
  private readonly waiting: (() => void)[] = [];
  private readonly appended: (() => void)[] = [];
  /** Appends that reached the store (one per call that succeeded): lets tests see batching. */
  readonly appendSizes: number[] = [];

  /** While false, appends wait; set true again and they complete in call order. */
  setAvailable(up: boolean): void {
    this.available = up;
    if (up) for (const wake of this.waiting.splice(0)) wake();
  }

  async ensureTopic(topic: string, spec: TopicSpec): Promise<boolean> {
    if (this.topics.has(topic)) return false;
    this.topics.set(topic, { spec, partitions: Array.from({ length: spec.partitions }, () => []) });
    return true;
  }

  async partitionOf(topic: string, key: string): Promise<number> {
    return hash(key) % this.topic(topic).partitions.length;
  }

  async append(records: readonly AppendRecord[]): Promise<number[]> {
    // Validate first, so a bad batch writes nothing (as one Kafka produce request would not).
    for (const r of records) this.topic(r.topic);
    while (!this.available) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const offsets = records.map((r) => {
      const t = this.topic(r.topic);
      const partition = hash(r.key) % t.partitions.length;
      const log = t.partitions[partition]!;
      const offset = log.length;
      log.push({
        partition,
        offset,
        timestamp: r.timestamp,
        key: r.key,
        value: Buffer.from(r.value),
        headers: { ...r.headers },
      });
      return offset;
    });
    this.appendSizes.push(records.length);
    for (const wake of this.appended.splice(0)) wake();
    return offsets;
  }

  async read(topic: string, partition: number, offset: number, limits: ReadLimits): Promise<StoredRecord[]> {
    const log = this.log(topic, partition);
    const out: StoredRecord[] = [];
    let bytes = 0;
    for (let i = Math.max(0, offset); i < log.length && out.length < limits.maxRecords; i++) {
      const r = log[i]!;
      if (out.length > 0 && bytes + r.value.length > limits.maxBytes) break;
      bytes += r.value.length;
      out.push({ ...r, value: Buffer.from(r.value), headers: { ...r.headers } });
    }
    return out;
  }

  // Kafka's long poll in small: when nothing is there, wait for an append (or 100 ms).
  async readMany(requests: readonly PartitionRead[], limits: ReadLimits): Promise<StoredRecord[][]> {
    const readAll = () => Promise.all(requests.map((q) => this.read(q.topic, q.partition, q.offset, limits)));
    const first = await readAll();
    if (first.some((r) => r.length > 0)) return first;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 100);
      this.appended.push(() => (clearTimeout(t), resolve()));
    });
    return readAll();
  }

  async bounds(topic: string, partition: number): Promise<Bounds> {
    return { start: 0, end: this.log(topic, partition).length };
  }

  async offsetForTime(topic: string, partition: number, timestamp: number): Promise<number> {
    const log = this.log(topic, partition);
    const i = log.findIndex((r) => r.timestamp >= timestamp);
    return i === -1 ? log.length : i;
  }

  async close(): Promise<void> {}

  private topic(topic: string): MemoryTopic {
    const t = this.topics.get(topic);
    if (!t) throw itradeError('KAFKA_TOPIC', `topic ${topic} does not exist`);
    return t;
  }

  private log(topic: string, partition: number): StoredRecord[] {
    const log = this.topic(topic).partitions[partition];
    if (!log) throw itradeError('KAFKA_READ_FAILED', `topic ${topic} has no partition ${partition}`);
    return log;
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}
