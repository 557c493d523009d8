// Canary for lib/kafkajs-topics.ts, the repair of kafkajs' per-send topic look-ups. On kafkajs'
// real Cluster and BrokerPool classes:
// - kafkajs' clients use the classes that were patched (same module files);
// - kafkajs' own methods still read every topic's name for one look-up (when this fails, kafkajs
//   indexes them itself and the repair can go);
// - patched, a look-up reads the names once per metadata response, and every method answers and
//   fails as kafkajs' own does, on the same cases.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../lib/kafkajs.ts';
import { BrokerPool, Cluster, original, type ClusterInternals } from '../../lib/kafkajs-topics.ts';

const require = createRequire(import.meta.url);

/** Metadata of `n` topics whose `topic` getter counts the reads of a name. */
function metadata(n: number, reads = { count: 0 }) {
  const topicMetadata = Array.from({ length: n }, (_, i) => {
    const name = `t${i}`;
    return {
      get topic() {
        reads.count++;
        return name;
      },
      partitionMetadata: [{ partitionId: 0, leader: 1, name }],
    };
  });
  return { reads, metadata: { topicMetadata } };
}

/** A Cluster with its BrokerPool, as kafkajs builds them, minus the network. */
function cluster(n: number, refresh: (topics: string[]) => Promise<void> = async () => undefined) {
  const m = metadata(n);
  const pool = Object.create(BrokerPool.prototype) as ClusterInternals['brokerPool'];
  Object.assign(pool, { metadata: m.metadata, metadataExpireAt: Date.now() + 60_000 });
  const refreshed: string[][] = [];
  pool.refreshMetadata = async (topics) => {
    refreshed.push(topics);
    await refresh(topics);
  };
  const c = Object.create(Cluster.prototype) as ClusterInternals;
  let locked = false;
  Object.assign(c, {
    brokerPool: pool,
    targetTopics: new Set(Array.from({ length: n }, (_, i) => `t${i}`)),
    mutatingTargetTopics: {
      async acquire() {
        assert.not.ok(locked, 'one holder at a time');
        locked = true;
      },
      async release() {
        locked = false;
      },
    },
    refreshMetadata: () => pool.refreshMetadata([...c.targetTopics]),
  });
  return { c, pool, refreshed, reads: m.reads };
}

test('kafkajs clients use the Cluster and BrokerPool that lib/kafkajs-topics.ts patched', () => {
  const fromKafka = createRequire(require.resolve('kafkajs/src/index.js'));
  assert.is(fromKafka.resolve('./cluster'), require.resolve('kafkajs/src/cluster/index.js'));
  const fromCluster = createRequire(require.resolve('kafkajs/src/cluster/index.js'));
  assert.is(fromCluster.resolve('./brokerPool'), require.resolve('kafkajs/src/cluster/brokerPool.js'));
  assert.is.not(Cluster.prototype.findTopicPartitionMetadata, original.findTopicPartitionMetadata);
  assert.is.not(BrokerPool.prototype.refreshMetadataIfNecessary, original.refreshMetadataIfNecessary);
  assert.is.not(Cluster.prototype.addMultipleTargetTopics, original.addMultipleTargetTopics);
});

test("kafkajs' own look-ups still read every topic's name (else the repair can go)", async () => {
  const { c, pool, reads } = cluster(200);
  original.findTopicPartitionMetadata.call(c, 't199');
  assert.is(reads.count, 200, 'kafkajs no longer scans for one topic: review lib/kafkajs-topics.ts');
  reads.count = 0;
  await original.refreshMetadataIfNecessary.call(pool, [...c.targetTopics]);
  assert.ok(reads.count >= (200 * 200) / 2, `kafkajs read ${reads.count} names: review lib/kafkajs-topics.ts`);
});

test('patched: 1,000 look-ups in 200 topics read each name once', async () => {
  const { c, pool, reads } = cluster(200);
  for (let i = 0; i < 1000; i++) {
    const p = c.findTopicPartitionMetadata(`t${i % 200}`) as { name: string }[];
    assert.is(p[0]!.name, `t${i % 200}`);
    await pool.refreshMetadataIfNecessary([...c.targetTopics]);
  }
  assert.is(reads.count, 200);
});

test('patched look-ups answer as kafkajs: unknown topic, no metadata, stale metadata, a missing topic', async () => {
  for (const impl of ['kafkajs', 'patched'] as const) {
    const find =
      impl === 'kafkajs' ? original.findTopicPartitionMetadata : Cluster.prototype.findTopicPartitionMetadata;
    const ifNeeded =
      impl === 'kafkajs' ? original.refreshMetadataIfNecessary : BrokerPool.prototype.refreshMetadataIfNecessary;
    const { c, pool, refreshed } = cluster(3);
    assert.equal(find.call(c, 'nope'), [], impl);
    await ifNeeded.call(pool, ['t0', 't2']);
    assert.is(refreshed.length, 0, `${impl}: fresh and complete, no refresh`);
    await ifNeeded.call(pool, ['t0', 'new']);
    assert.equal(refreshed, [['t0', 'new']], `${impl}: a missing topic refreshes`);
    pool.metadataExpireAt = Date.now() - 1;
    await ifNeeded.call(pool, ['t0']);
    assert.is(refreshed.length, 2, `${impl}: stale metadata refreshes`);
    pool.metadata = null;
    assert.throws(() => find.call(c, 't0'), /Topic metadata not loaded/, impl);
  }
});

test('patched addMultipleTargetTopics: refreshes only for a new topic, takes it back as kafkajs does', async () => {
  const outcomes: Record<string, unknown[]> = {};
  for (const impl of ['kafkajs', 'patched'] as const) {
    const add = impl === 'kafkajs' ? original.addMultipleTargetTopics : Cluster.prototype.addMultipleTargetTopics;
    let fail: { type: string } | undefined;
    const { c, refreshed } = cluster(3, async () => {
      if (fail) throw Object.assign(new Error(fail.type), fail);
    });
    const out: unknown[] = (outcomes[impl] = []);
    await add.call(c, ['t1', 't2', 't1']);
    out.push(refreshed.length);
    await add.call(c, ['t1', 'new1']);
    out.push(refreshed.length, [...c.targetTopics]);
    fail = { type: 'UNKNOWN_TOPIC_OR_PARTITION' };
    out.push(await add.call(c, ['gone', 't0']).catch((e: Error) => e.message), [...c.targetTopics]);
    fail = { type: 'NETWORK_EXCEPTION' };
    out.push(await add.call(c, ['later']).catch((e: Error) => e.message), [...c.targetTopics]);
  }
  assert.equal(outcomes.patched, outcomes.kafkajs);
  assert.equal(outcomes.patched, [
    0,
    1,
    ['t0', 't1', 't2', 'new1'],
    'UNKNOWN_TOPIC_OR_PARTITION',
    ['t0', 't1', 't2', 'new1'],
    'NETWORK_EXCEPTION',
    ['t0', 't1', 't2', 'new1', 'later'],
  ]);
});

test.run();
