// The bridge's own view of a durable, ordered log (Kafka here), small enough to swap the client:
// create a topic, append a batch, read from an offset, find an offset by time. Every
// implementation passes the same contract suite (test/bridge/log-store.contract.ts), run on the
// in-memory store in unit tests and on the real Kafka in test/integration/.

export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  /** -1: keep forever. */
  retentionMs: number;
}

export interface AppendRecord {
  topic: string;
  /** Records with one key go to one partition and keep their order (the sensor address). */
  key: string;
  /** Stored and returned byte for byte. */
  value: Buffer;
  /** ms since epoch. */
  timestamp: number;
  headers: Record<string, string>;
}

export interface StoredRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface ReadLimits {
  /** Soft cap of one read: a single record larger than this is still returned, alone. */
  maxBytes: number;
  maxRecords: number;
}

export interface PartitionRead {
  topic: string;
  partition: number;
  offset: number;
}

export interface Bounds {
  /** First offset still stored (retention may have removed older ones). */
  start: number;
  /** The offset the next record will get. */
  end: number;
}

export interface LogStore {
  /** Creates the topic when missing; resolves true when this call created it. Idempotent. */
  ensureTopic(topic: string, spec: TopicSpec): Promise<boolean>;
  /** The partition that records with this key go to. */
  partitionOf(topic: string, key: string): Promise<number>;
  /**
   * Appends in the given order; resolves with each record's offset once the store has it
   * durably. While the store is unavailable the call waits and retries; it rejects only on a
   * permanent error (then none of the records may be assumed written).
   */
  append(records: readonly AppendRecord[]): Promise<number[]>;
  /** Records at or after `offset` in offset order (from `start` when `offset` is older); [] at the end. */
  read(topic: string, partition: number, offset: number, limits: ReadLimits): Promise<StoredRecord[]>;
  /**
   * One read of several partitions at once (one request per broker where the store can): for
   * each request, the records at or after its offset, as `read` would give them. Waits a little
   * (the store's own long poll) when none of them has records.
   */
  readMany(requests: readonly PartitionRead[], limits: ReadLimits): Promise<StoredRecord[][]>;
  bounds(topic: string, partition: number): Promise<Bounds>;
  /** The first offset whose timestamp is >= `timestamp`, or `end` when there is none. */
  offsetForTime(topic: string, partition: number, timestamp: number): Promise<number>;
  close(): Promise<void>;
}

export function recordBytes(r: { value: Buffer }): number {
  return r.value.length;
}
