// The LogStore contract, one suite for every implementation (MQTT.js abstract_store style):
// test/bridge/memory-store.test.ts runs it on the in-memory store, and
// test/integration/bridge-kafka-store.test.ts on the real Kafka.
import { randomBytes } from 'node:crypto';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppendRecord, LogStore, TopicSpec } from '../../bridge/log-store.ts';

export interface ContractContext {
  store: LogStore;
  /** A topic name no other test uses. */
  topic(): string;
}

/** One partition, no replicas, kept for ever: the spec every store test creates its topics with. */
export const SPEC: TopicSpec = { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1, retentionMs: -1 };
const T0 = Date.UTC(2026, 0, 1);

function rec(topic: string, key: string, i: number, value = Buffer.from(`v${i}`)): AppendRecord {
  return { topic, key, value, timestamp: T0 + i * 1000, headers: { 'itrade-sensor': key, n: String(i) } };
}

export function logStoreContract(suite: Test<ContractContext>): void {
  suite('ensureTopic creates once, then reports the topic exists', async (ctx) => {
    const topic = ctx.topic();
    assert.is(await ctx.store.ensureTopic(topic, SPEC), true);
    assert.is(await ctx.store.ensureTopic(topic, SPEC), false);
    assert.equal(await ctx.store.bounds(topic, 0), { start: 0, end: 0 });
  });

  suite('append returns consecutive offsets; read gives back bytes, timestamps, key and headers', async (ctx) => {
    const topic = ctx.topic();
    await ctx.store.ensureTopic(topic, SPEC);
    const values = [
      Buffer.alloc(0),
      randomBytes(1),
      randomBytes(100),
      Buffer.from([0, 255, 0x7b, 0x01]),
      randomBytes(70_000),
    ];
    const records = values.map((v, i) => rec(topic, 'k', i, v));
    assert.equal(await ctx.store.append(records), [0, 1, 2, 3, 4]);
    const got = await ctx.store.read(topic, 0, 0, { maxBytes: 1 << 20, maxRecords: 100 });
    assert.equal(
      got.map((r) => r.offset),
      [0, 1, 2, 3, 4],
    );
    got.forEach((r, i) => {
      assert.ok(r.value.equals(values[i]!), `value ${i} differs`);
      assert.is(r.timestamp, records[i]!.timestamp);
      assert.is(r.key, 'k');
      assert.equal(r.headers, records[i]!.headers);
    });
    assert.equal(await ctx.store.bounds(topic, 0), { start: 0, end: 5 });
  });

  suite('one key keeps its order across appends that mix topics and keys', async (ctx) => {
    const [a, b] = [ctx.topic(), ctx.topic()];
    await ctx.store.ensureTopic(a, SPEC);
    await ctx.store.ensureTopic(b, SPEC);
    for (let round = 0; round < 5; round++) {
      const batch = Array.from({ length: 20 }, (_, i) => rec(i % 2 ? a : b, i % 4 < 2 ? 'x' : 'y', round * 20 + i));
      const offsets = await ctx.store.append(batch);
      assert.is(offsets.length, batch.length);
    }
    for (const topic of [a, b]) {
      const got = await ctx.store.read(topic, 0, 0, { maxBytes: 1 << 20, maxRecords: 1000 });
      assert.is(got.length, 50);
      for (const key of ['x', 'y']) {
        const ns = got.filter((r) => r.key === key).map((r) => Number(r.headers.n));
        assert.equal(
          ns,
          [...ns].sort((p, q) => p - q),
          `${topic}/${key} out of order`,
        );
      }
    }
  });

  suite('read honours maxRecords, treats maxBytes as a soft cap, and is empty past the end', async (ctx) => {
    const topic = ctx.topic();
    await ctx.store.ensureTopic(topic, SPEC);
    await ctx.store.append(Array.from({ length: 10 }, (_, i) => rec(topic, 'k', i, randomBytes(1000))));
    assert.equal(
      (await ctx.store.read(topic, 0, 3, { maxBytes: 1 << 20, maxRecords: 4 })).map((r) => r.offset),
      [3, 4, 5, 6],
    );
    const small = await ctx.store.read(topic, 0, 0, { maxBytes: 1, maxRecords: 100 });
    assert.ok(small.length >= 1 && small[0]!.offset === 0, 'a read always makes progress');
    assert.equal(await ctx.store.read(topic, 0, 10, { maxBytes: 1 << 20, maxRecords: 100 }), []);
    assert.equal(await ctx.store.read(topic, 0, 99, { maxBytes: 1 << 20, maxRecords: 100 }), []);
  });

  // A buyer's catch-up read must not wait behind the tail's long poll at the end of a quiet
  // sensor (bridge/kafka/fetch.ts): reads at the end answer [] at once, while readMany waits.
  suite('reads at the end answer [] while a readMany still waits at the end of another topic', async (ctx) => {
    const [quiet, other] = [ctx.topic(), ctx.topic()];
    for (const t of [quiet, other]) await ctx.store.ensureTopic(t, SPEC);
    await ctx.store.append([rec(other, 'k', 0)]);
    const limits = { maxBytes: 1 << 20, maxRecords: 10 };
    assert.is((await ctx.store.read(other, 0, 0, limits)).length, 1);
    const done: string[] = [];
    const waiting = ctx.store.readMany([{ topic: quiet, partition: 0, offset: 0 }], limits);
    void waiting.then(() => done.push('readMany'));
    const reads = await Promise.all([1, 1, 1].map((o) => ctx.store.read(other, 0, o, limits)));
    done.push('reads');
    assert.equal(reads, [[], [], []]);
    assert.equal(await waiting, [[]]);
    assert.equal(done, ['reads', 'readMany']);
  });

  suite('offsetForTime: first offset at or after the time, end when none', async (ctx) => {
    const topic = ctx.topic();
    await ctx.store.ensureTopic(topic, SPEC);
    await ctx.store.append(Array.from({ length: 10 }, (_, i) => rec(topic, 'k', i)));
    assert.is(await ctx.store.offsetForTime(topic, 0, T0 - 1), 0);
    assert.is(await ctx.store.offsetForTime(topic, 0, T0 + 4000), 4);
    assert.is(await ctx.store.offsetForTime(topic, 0, T0 + 4001), 5);
    assert.is(await ctx.store.offsetForTime(topic, 0, T0 + 9000), 9);
    assert.is(await ctx.store.offsetForTime(topic, 0, T0 + 9001), 10);
  });

  suite('offsetForTime: many asks at once, of several topics and one topic at several times', async (ctx) => {
    const topics = [ctx.topic(), ctx.topic(), ctx.topic()];
    for (const t of topics) await ctx.store.ensureTopic(t, SPEC);
    await ctx.store.append(topics.flatMap((t, k) => Array.from({ length: 5 + k }, (_, i) => rec(t, 'k', i))));
    const times = [T0 - 1, T0 + 2000, T0 + 2500, T0 + 4000, T0 + 99_000];
    const asks = topics.flatMap((t, k) =>
      times.map((ms) => ({ t, ms, want: Math.min(Math.ceil((ms - T0) / 1000), 5 + k) })),
    );
    const got = await Promise.all(asks.map((a) => ctx.store.offsetForTime(a.t, 0, a.ms)));
    assert.equal(
      got,
      asks.map((a) => Math.max(0, a.want)),
    );
  });

  suite("with several partitions, a key's records are all in partitionOf(key)", async (ctx) => {
    const topic = ctx.topic();
    await ctx.store.ensureTopic(topic, { ...SPEC, partitions: 3 });
    const keys = ['0xaa', '0xbb', '0xcc', '0xdd'];
    await ctx.store.append(Array.from({ length: 40 }, (_, i) => rec(topic, keys[i % 4]!, i)));
    for (const key of keys) {
      const p = await ctx.store.partitionOf(topic, key);
      assert.is(await ctx.store.partitionOf(topic, key), p, 'stable');
      const got = (await ctx.store.read(topic, p, 0, { maxBytes: 1 << 20, maxRecords: 1000 })).filter(
        (r) => r.key === key,
      );
      assert.equal(
        got.map((r) => Number(r.headers.n)),
        Array.from({ length: 10 }, (_, j) => j * 4 + keys.indexOf(key)),
      );
      assert.ok(got.every((r) => r.partition === p));
    }
  });
}
