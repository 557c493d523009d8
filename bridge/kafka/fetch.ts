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
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { OffsetLookups, type OffsetsCluster } from './offsets.ts';

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

interface KjsConnection {
  isConnected(): boolean;
  connect(): Promise<unknown>;
}

interface KjsBroker {
  connectionPool: { pool: KjsConnection[] };
  /** Set once the ApiVersions round of connect() succeeded; requests fail before it. */
  versions?: unknown;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetch(req: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<FetchResponse>;
}

interface KjsCluster extends OffsetsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
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

// fetchMany is the tail's long poll: the broker answers at once when data is there and waits
// up to this long at the end of the log. kafkajs sets the Fetch request timeout to maxWaitTime
// + 100 ms (protocol/requests/fetch/index.js). A single read (fetch) never waits: the LogStore
// contract gives [] at the end, and a broker answers one request per connection at a time, in
// order (Kafka protocol guide, "Network"), so every waiting read held the reads queued behind it:
// 20 buyers of a quiet sensor, 20 s for the last one (and for close()).
const MAX_WAIT_MS = 1000;
const READ_WAIT_MS = 0;
const CLOSE_WAIT_MS = 3 * MAX_WAIT_MS + 2000;
const READ_UNCOMMITTED = 0; // the bridge writes no transactions; records up to the high watermark
const ATTEMPTS = 3;
const RETRY_BASE_MS = 100;
const FETCH_CONNECTION = 1; // a broker's second socket: kafkajs sends Fetch on it (connectionPool.js)

function createCluster(kafka: Kafka): KjsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('kafkajs has no private:Kafka:createCluster: this file supports kafkajs 2.2.x only');
  const factory = (kafka as unknown as Record<symbol, (o: object) => KjsCluster>)[sym]!;
  return factory({ allowAutoTopicCreation: false });
}

export class PartitionFetcher {
  private readonly cluster: KjsCluster;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly connectingFetch = new WeakMap<KjsConnection, Promise<unknown>>();

  private readonly offsets: OffsetLookups;

  constructor(kafka: Kafka) {
    this.cluster = createCluster(kafka);
    this.offsets = new OffsetLookups(this.cluster, () => this.connect());
  }

  /** The first offset at or after `timestamp` (the log's end when none); concurrent asks share requests. */
  offsetForTime(topic: string, partition: number, timestamp: number): Promise<number> {
    return this.offsets.offsetForTime(topic, partition, timestamp);
  }

  /** Records from `offset` on (at most about `maxBytes`, at least one whole record batch). */
  async fetch(topic: string, partition: number, offset: number, maxBytes: number): Promise<FetchedRecord[]> {
    const p = this.fetchRetrying(topic, partition, offset, maxBytes);
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  /**
   * One Fetch per partition leader for all of `parts` (the tail of every followed sensor: one
   * fetch session per broker, not one per buyer); each answer in the order asked. The broker
   * long-polls up to MAX_WAIT_MS while none of them has records.
   */
  async fetchMany(parts: readonly PartRequest[], maxBytes: number): Promise<FetchedRecord[][]> {
    const p = this.fetchManyOnce(parts, maxBytes);
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private async fetchManyOnce(parts: readonly PartRequest[], maxBytes: number): Promise<FetchedRecord[][]> {
    if (this.closed) throw Object.assign(new Error('the history reader is closed'), { retriable: false });
    await this.connect();
    const byLeader = new Map<string, number[]>();
    for (const [i, q] of parts.entries()) {
      await this.cluster.addTargetTopic(q.topic);
      const nodeId = Object.keys(this.cluster.findLeaderForPartitions(q.topic, [q.partition]))[0];
      if (nodeId === undefined) throw Object.assign(new Error(`no leader for ${q.topic}`), { retriable: true });
      byLeader.set(nodeId, [...(byLeader.get(nodeId) ?? []), i]);
    }
    const out: FetchedRecord[][] = parts.map(() => []);
    await Promise.all(
      [...byLeader].map(async ([nodeId, idx]) => {
        const broker = await usable(await this.cluster.findBroker({ nodeId }));
        await this.fetchConnection(broker);
        const res = await broker.fetch({
          isolationLevel: READ_UNCOMMITTED,
          maxWaitTime: MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: maxBytes * idx.length,
          topics: groupTopics(
            idx.map((i) => parts[i]!),
            maxBytes,
          ),
        });
        for (const i of idx) out[i] = recordsOf(res, parts[i]!);
      }),
    );
    return out;
  }

  /**
   * Waits for the fetches under way, then closes every connection. kafkajs connects to a
   * partition's leader lazily, so a fetch still running when close() began could otherwise
   * open a connection after the disconnect and keep the process alive.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Bounded: a fetch stuck on an unreachable Kafka must not hold the shutdown.
    await Promise.race([Promise.allSettled([...this.inflight]), sleep(CLOSE_WAIT_MS)]);
    await this.cluster.disconnect();
  }

  private async fetchRetrying(
    topic: string,
    partition: number,
    offset: number,
    maxBytes: number,
  ): Promise<FetchedRecord[]> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (this.closed) throw Object.assign(new Error('the history reader is closed'), { retriable: false });
      try {
        return await this.fetchOnce(topic, partition, offset, maxBytes);
      } catch (err) {
        lastError = err;
        if ((err as { retriable?: boolean }).retriable === false) throw err;
        // A moved leader or a dropped connection: a pause, fresh metadata, then again.
        await sleep(RETRY_BASE_MS * 2 ** attempt);
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
    }
    throw lastError;
  }

  // One connect for all callers. kafkajs counts a broker as connected once its socket is open,
  // before the ApiVersions round that makes it usable, so a second caller that checked
  // isConnected() then would send on a half-connected broker ("Broker not connected").
  private connect(): Promise<void> {
    if (!this.connecting && this.cluster.isConnected()) return Promise.resolve();
    this.connecting ??= this.cluster.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  // kafkajs opens a broker's Fetch socket on the first Fetch; two Fetches that both find it closed
  // each open one, and the first socket is dropped without being closed (Connection.connect only
  // checks for CONNECTED), which keeps the process alive after close(). One opening per socket.
  private async fetchConnection(broker: KjsBroker): Promise<void> {
    const conn = broker.connectionPool.pool[FETCH_CONNECTION];
    if (!conn || conn.isConnected()) return;
    let opening = this.connectingFetch.get(conn);
    if (!opening) {
      opening = conn.connect().finally(() => this.connectingFetch.delete(conn));
      this.connectingFetch.set(conn, opening);
    }
    await opening;
  }

  private async fetchOnce(
    topic: string,
    partition: number,
    offset: number,
    maxBytes: number,
  ): Promise<FetchedRecord[]> {
    await this.connect();
    await this.cluster.addTargetTopic(topic);
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined)
      throw Object.assign(new Error(`no leader for ${topic}/${partition}`), { retriable: true });
    const broker = await usable(await this.cluster.findBroker({ nodeId }));
    await this.fetchConnection(broker);
    const res = await broker.fetch({
      isolationLevel: READ_UNCOMMITTED,
      maxWaitTime: READ_WAIT_MS,
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
    });
    return recordsOf(res, { topic, partition, offset });
  }
}

export interface PartRequest {
  topic: string;
  partition: number;
  offset: number;
}

type FetchResponse = { responses: { topicName: string; partitions: KjsPartitionData[] }[] };

function recordsOf(res: FetchResponse, q: PartRequest): FetchedRecord[] {
  const data = res.responses.find((r) => r.topicName === q.topic)?.partitions.find((p) => p.partition === q.partition);
  return (data?.messages ?? [])
    .filter((m) => !m.isControlRecord && Number(m.offset) >= q.offset) // a fetch returns whole batches
    .map(toRecord);
}

function groupTopics(parts: readonly PartRequest[], maxBytes: number) {
  const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
  for (const q of parts) {
    const list = topics.get(q.topic) ?? [];
    list.push({ partition: q.partition, fetchOffset: String(q.offset), maxBytes });
    topics.set(q.topic, list);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

// The same half-connected state for a partition leader that another caller is connecting
// (brokerPool.connectBroker checks isConnected() outside the broker's lock): broker.connect()
// waits on that lock. A connect that failed after its socket opened leaves the broker looking
// connected for good, so that one is closed and made again.
async function usable(broker: KjsBroker): Promise<KjsBroker> {
  if (broker.versions) return broker;
  await broker.connect();
  if (broker.versions) return broker;
  await broker.disconnect();
  await broker.connect();
  return broker;
}

function toRecord(m: KjsMessage): FetchedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0]! : v).toString();
  }
  return {
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value ?? Buffer.alloc(0),
    headers,
  };
}
