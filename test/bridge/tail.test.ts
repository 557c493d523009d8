// The log tail finds a sensor's topic once (bridge/tail.ts place): a storm of buyers subscribing
// to one sensor at once asks for the topic's creation and partition once, not once per buyer
// (each is a CreateTopics and Metadata rounds on Kafka); a failed look-up is tried again. A tail
// that hand-overs keep complete is not fetched again; entries others write still arrive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogTail } from '../../bridge/tail.ts';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import { createLogger } from '../../lib/log.ts';
import { SPEC } from './log-store.contract.ts';

function tail(store: MemoryLogStore, ensure: (sensor: string) => Promise<void>, localCheckMs?: number): LogTail {
  const opts = { topicOf: (s: string) => `t.${s}`, ensureTopic: ensure, ringEntries: 10, fetchMaxBytes: 1 << 20 };
  return new LogTail(store, { ...opts, idleMs: 60_000, localCheckMs }, createLogger({ level: 'silent' }));
}

const SENSOR = '0xaa';
const TOPIC = `t.${SENSOR}`;

/** A store that counts the long polls asking for TOPIC. */
async function countingStore(): Promise<{ store: MemoryLogStore; polls: () => number }> {
  const store = new MemoryLogStore();
  await store.ensureTopic(TOPIC, SPEC);
  let polls = 0;
  const readMany = store.readMany.bind(store);
  store.readMany = (reqs, limits) => {
    if (reqs.some((r) => r.topic === TOPIC)) polls++;
    return readMany(reqs, limits);
  };
  return { store, polls: () => polls };
}

/** Writes one entry as another instance would: into the log, no hand-over here. */
async function write(store: MemoryLogStore, value: string): Promise<number> {
  const [offset] = await store.append([
    { topic: TOPIC, key: SENSOR, value: Buffer.from(value), timestamp: 0, headers: {} },
  ]);
  return offset!;
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; !ok(); i++) {
    if (i === 2000) throw new Error('not reached within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The next entries a buyer at `from` gets, as text; fails after 10 s instead of hanging. */
async function next(t: LogTail, from: number): Promise<string[]> {
  const signal = AbortSignal.timeout(10_000);
  const got = await t.read(SENSOR, from, 10, signal);
  assert.ok(got.length > 0, `nothing from offset ${from} within 10 s`);
  return got.map((e) => e.payload.toString());
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

test('entries handed over are not fetched again: the tail leaves its sensor out of the long poll', async () => {
  const { store, polls } = await countingStore();
  const t = tail(store, async () => undefined, 60_000);
  let reading = next(t, 0);
  await until(() => polls() > 0); // the tail is placed and polled as any other
  const before = polls();
  for (let i = 0; i < 20; i++) {
    const offset = await write(store, `e${i}`);
    t.handOver(SENSOR, offset, Buffer.from(`e${i}`));
    assert.equal(await reading, [`e${i}`]);
    reading = next(t, offset + 1);
    // Time for a poll to come round between writes (the loop rests 20 ms after one that found
    // nothing new), so each write would be answered by the long poll too if the tail asked.
    await new Promise((r) => setTimeout(r, 30));
  }
  // The poll under way at the first hand-over answers it; none after it until the check.
  assert.ok(polls() - before <= 2, `${polls() - before} long polls asked for the sensor during 20 hand-overs`);
  await t.close();
  await reading.catch(() => undefined); // the close ends the last read
});

test('an entry another instance writes to a hand-over-fed tail still reaches the buyers here', async () => {
  const { store } = await countingStore();
  const t = tail(store, async () => undefined, 50);
  const first = await write(store, 'mine');
  const reading = next(t, 0);
  t.handOver(SENSOR, first, Buffer.from('mine'));
  assert.equal(await reading, ['mine']);
  await write(store, 'theirs'); // no hand-over: found by the check
  assert.equal(await next(t, 1), ['theirs']);
  await t.close();
});

test('a hand-over that skips offsets reads the gap at once, in order', async () => {
  const { store, polls } = await countingStore();
  const t = tail(store, async () => undefined, 60_000);
  const reading = next(t, 0);
  await until(() => polls() > 0); // the tail is placed and polled
  const first = await write(store, 'e0');
  t.handOver(SENSOR, first, Buffer.from('e0'));
  assert.equal(await reading, ['e0']);
  await write(store, 'e1'); // another instance
  await write(store, 'e2');
  const last = await write(store, 'e3');
  t.handOver(SENSOR, last, Buffer.from('e3'));
  assert.equal(await next(t, 1), ['e1', 'e2', 'e3']);
  await t.close();
});

test.run();
