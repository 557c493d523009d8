// The log tail finds a sensor's topic once (bridge/tail.ts place): a storm of buyers subscribing
// to one sensor at once asks for the topic's creation and partition once, not once per buyer
// (each is a CreateTopics and Metadata rounds on Kafka); a failed look-up is tried again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogTail } from '../../bridge/tail.ts';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import { createLogger } from '../../lib/log.ts';
import { SPEC } from './log-store.contract.ts';

function tail(store: MemoryLogStore, ensure: (sensor: string) => Promise<void>): LogTail {
  const opts = { topicOf: (s: string) => `t.${s}`, ensureTopic: ensure, ringEntries: 10, fetchMaxBytes: 1 << 20 };
  return new LogTail(store, { ...opts, idleMs: 60_000 }, createLogger({ level: 'silent' }));
}

test('100 buyers asking where one sensor starts at once: its topic is ensured once', async () => {
  const store = new MemoryLogStore();
  const ensured: string[] = [];
  const t = tail(store, async (s) => {
    ensured.push(s);
    await store.ensureTopic(`t.${s}`, SPEC);
  });
  const sensors = ['0xaa', '0xbb'];
  const got = await Promise.all(Array.from({ length: 100 }, (_, i) => t.offsetAt(sensors[i % 2]!, 0)));
  assert.ok(got.every((o) => o === 0));
  assert.equal(ensured.sort(), sensors);
  await t.close();
});

test('a failed look-up is not kept: the next ask tries again', async () => {
  const store = new MemoryLogStore();
  let calls = 0;
  const t = tail(store, async (s) => {
    if (++calls === 1) throw new Error('Kafka away');
    await store.ensureTopic(`t.${s}`, SPEC);
  });
  const first = await t.offsetAt('0xaa', 0).then(
    () => 'answered',
    (err: Error) => err.message,
  );
  assert.is(first, 'Kafka away');
  assert.is(await t.offsetAt('0xaa', 0), 0);
  assert.is(calls, 2);
  await t.close();
});

test.run();
