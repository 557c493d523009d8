// Offsets by time for many callers at once (bridge/kafka/offsets.ts) on a cluster that records
// what it was asked: a storm of first subscriptions to many sensors makes kafkajs learn all their
// topics in one Metadata round, not one round each in a row; asks of one topic for the same time
// share one answer; a topic kafkajs cannot find fails its own asks only. The real kafkajs cluster
// runs the same code in the LogStore contract suite (test/integration/bridge-kafka-store.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OffsetLookups, type OffsetsCluster } from '../../bridge/kafka/offsets.ts';

/** Each topic's log holds one record per second from t=1000 ms: offset i at (i + 1) * 1000 ms. */
class RecordingCluster implements OffsetsCluster {
  readonly learned: string[][] = [];
  readonly listOffsets: number[] = [];
  constructor(private readonly missing = new Set<string>()) {}

  async addTargetTopic(topic: string): Promise<void> {
    return this.addMultipleTargetTopics([topic]);
  }

  async addMultipleTargetTopics(topics: string[]): Promise<void> {
    if (topics.some((t) => this.missing.has(t))) throw new Error('This server does not host this topic-partition');
    this.learned.push(topics);
  }

  async refreshMetadata(): Promise<void> {}

  async fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromTimestamp?: number }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]> {
    this.listOffsets.push(topics.length);
    return topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        offset: String(Math.max(0, Math.ceil((t.fromTimestamp ?? 0) / 1000) - 1)),
      })),
    }));
  }
}

test('first asks of 100 topics at once: their topics are learned in one round, one ListOffsets', async () => {
  const cluster = new RecordingCluster();
  const lookups = new OffsetLookups(cluster, async () => undefined);
  const topics = Array.from({ length: 100 }, (_, i) => `sensor-${i}`);
  const got = await Promise.all(topics.map((t) => lookups.offsetForTime(t, 0, 5000)));
  assert.equal(
    got,
    topics.map(() => 4),
  );
  assert.is(cluster.learned.length, 1, 'one Metadata round for every new topic');
  assert.is(cluster.learned[0]!.length, 100);
  assert.equal(cluster.listOffsets, [100]);
});

test('asks of one topic for the same time share an answer; another time takes another round', async () => {
  const cluster = new RecordingCluster();
  const lookups = new OffsetLookups(cluster, async () => undefined);
  const asks = [3000, 3000, 3000, 7000, 3000];
  const got = await Promise.all(asks.map((ms) => lookups.offsetForTime('sensor', 0, ms)));
  assert.equal(got, [2, 2, 2, 6, 2]);
  assert.is(cluster.listOffsets.length, 2, 'one round per distinct time');
});

test('a topic kafkajs cannot find fails its own asks, the others are answered', async () => {
  const cluster = new RecordingCluster(new Set(['gone']));
  const lookups = new OffsetLookups(cluster, async () => undefined);
  const [a, gone, b] = await Promise.allSettled([
    lookups.offsetForTime('a', 0, 2000),
    lookups.offsetForTime('gone', 0, 2000),
    lookups.offsetForTime('b', 0, 2000),
  ]);
  assert.equal(a, { status: 'fulfilled', value: 1 });
  assert.equal(b, { status: 'fulfilled', value: 1 });
  assert.is(gone!.status, 'rejected');
});

test.run();
