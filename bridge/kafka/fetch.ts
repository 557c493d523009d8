// Bounded reads of one partition from an offset, with plain Fetch requests and no consumer group.
//
// Why not the kafkajs consumer: kafkajs 2.2.4 (its last release) has no manual partition
// assignment (tulios/kafkajs#373), so every consumer joins a group: a JoinGroup/SyncGroup round
// per replay (group.initial.rebalance.delay.ms, 3 s by default, before the first entry), its own
// connections, and heartbeats while a slow buyer holds it paused. A replay is a pull at the
// buyer's pace, which is what Fetch is. We issue it on a cluster object that kafkajs's own
// factory builds (the same one its admin and consumer use), reached through its private symbol.
// This file is the only one touching kafkajs internals; the LogStore contract suite runs it
// against the real Kafka, so a change in kafkajs shows up as a failing test, not in production.
import type { Kafka } from 'kafkajs';

interface KjsMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}

interface KjsPartitionData {
  partition: number;
  messages: KjsMessage[];
}

interface KjsBroker {
  fetch(req: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: KjsPartitionData[] }[] }>;
}

interface KjsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<KjsBroker>;
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

// The broker answers at once when data is there; it only waits at the end of the log. kafkajs
// sets the Fetch request timeout to maxWaitTime + 100 ms (protocol/requests/fetch/index.js).
const MAX_WAIT_MS = 1000;
const READ_UNCOMMITTED = 0; // the bridge writes no transactions; records up to the high watermark
const ATTEMPTS = 3;

function createCluster(kafka: Kafka): KjsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('kafkajs has no private:Kafka:createCluster: this file supports kafkajs 2.2.x only');
  const factory = (kafka as unknown as Record<symbol, (o: object) => KjsCluster>)[sym]!;
  return factory({ allowAutoTopicCreation: false });
}

export class PartitionFetcher {
  private readonly cluster: KjsCluster;

  constructor(kafka: Kafka) {
    this.cluster = createCluster(kafka);
  }

  /** Records from `offset` on (at most about `maxBytes`, at least one whole record batch). */
  async fetch(topic: string, partition: number, offset: number, maxBytes: number): Promise<FetchedRecord[]> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        return await this.fetchOnce(topic, partition, offset, maxBytes);
      } catch (err) {
        lastError = err;
        if ((err as { retriable?: boolean }).retriable === false) throw err;
        // A moved leader or a dropped connection: fresh metadata, then again.
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
    }
    throw lastError;
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }

  private async fetchOnce(topic: string, partition: number, offset: number, maxBytes: number): Promise<FetchedRecord[]> {
    if (!this.cluster.isConnected()) await this.cluster.connect();
    await this.cluster.addTargetTopic(topic);
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) throw Object.assign(new Error(`no leader for ${topic}/${partition}`), { retriable: true });
    const broker = await this.cluster.findBroker({ nodeId });
    const res = await broker.fetch({
      isolationLevel: READ_UNCOMMITTED,
      maxWaitTime: MAX_WAIT_MS,
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
    });
    const data = res.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
    return (data?.messages ?? [])
      .filter((m) => !m.isControlRecord && Number(m.offset) >= offset) // a fetch returns whole batches
      .map(toRecord);
  }
}

function toRecord(m: KjsMessage): FetchedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0]! : v).toString();
  }
  return { offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value ?? Buffer.alloc(0), headers };
}
