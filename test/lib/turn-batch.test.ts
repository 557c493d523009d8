// TurnBatch: the calls of one event-loop turn reach the batch function together.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TurnBatch } from '../../lib/turn-batch.ts';

function recorder(answer = (items: number[]) => items.map((x) => x * 10)) {
  const batches: number[][] = [];
  const batch = new TurnBatch<number, number>(
    async (items) => {
      batches.push(items);
      return answer(items);
    },
    { max: 4 },
  );
  return { batches, batch };
}

test('calls made in one turn go as one batch, each caller gets its own answer', async () => {
  const { batches, batch } = recorder();
  const got = await Promise.all([1, 2, 3].map((x) => batch.add(x)));
  assert.equal(got, [10, 20, 30]);
  assert.equal(batches, [[1, 2, 3]]);
});

test('calls made later in the same turn (ticks, resolved promises) join the batch', async () => {
  const { batches, batch } = recorder();
  const a = batch.add(1);
  const b = new Promise<number>((r) => process.nextTick(() => r(batch.add(2))));
  const c = Promise.resolve()
    .then(() => Promise.resolve())
    .then(() => batch.add(3));
  assert.equal(await Promise.all([a, b, c]), [10, 20, 30]);
  assert.equal(
    batches.map((x) => [...x].sort()),
    [[1, 2, 3]],
  );
});

test('a turn with more calls than max goes as several batches, in order', async () => {
  const { batches, batch } = recorder();
  await Promise.all([1, 2, 3, 4, 5, 6].map((x) => batch.add(x)));
  assert.equal(batches, [
    [1, 2, 3, 4],
    [5, 6],
  ]);
});

test('a later turn makes a new batch', async () => {
  const { batches, batch } = recorder();
  await batch.add(1);
  await batch.add(2);
  assert.equal(batches, [[1], [2]]);
});

test('a failed batch rejects every call in it with the error', async () => {
  const { batch } = recorder(() => {
    throw new Error('redis down');
  });
  const got = await Promise.allSettled([batch.add(1), batch.add(2)]);
  assert.equal(
    got.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')),
    ['redis down', 'redis down'],
  );
});

test('an answer of the wrong length rejects the batch instead of mixing answers up', async () => {
  const { batch } = recorder((items) => items.slice(1));
  const got = await Promise.allSettled([batch.add(1), batch.add(2)]);
  assert.ok(got.every((r) => r.status === 'rejected' && /answered 1 results/.test((r.reason as Error).message)));
});

/** A batch function whose batches answer only when the test says so. */
function held(serial: boolean) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const started: (() => void)[] = [];
  const batch = new TurnBatch<number, number>(
    async (items) => {
      batches.push(items);
      started.shift()?.();
      await new Promise<void>((r) => releases.push(r));
      if (items.includes(-1)) throw new Error('redis down');
      return items.map((x) => x * 10);
    },
    { serial },
  );
  const nextStart = () => new Promise<void>((r) => started.push(r));
  const turn = () => new Promise<void>((r) => setImmediate(r));
  return { batches, batch, releases, nextStart, turn };
}

test('serial: calls of later turns wait for the batch under way, then leave together', async () => {
  const { batches, batch, releases, nextStart, turn } = held(true);
  const first = nextStart();
  const a = batch.add(1);
  await first;
  const later = [batch.add(2)];
  await turn();
  later.push(batch.add(3));
  await turn();
  const second = nextStart();
  releases.shift()!();
  assert.equal(await a, 10);
  await second;
  releases.shift()!();
  assert.equal(await Promise.all(later), [20, 30]);
  assert.equal(batches, [[1], [2, 3]]);
});

test('not serial: each turn sends its own batch while the one before is under way', async () => {
  const { batches, batch, releases, nextStart, turn } = held(false);
  const first = nextStart();
  const calls = [batch.add(1)];
  await first;
  const second = nextStart();
  calls.push(batch.add(2));
  await second;
  await turn();
  const third = nextStart();
  calls.push(batch.add(3));
  await third;
  releases.forEach((r) => r());
  assert.equal(await Promise.all(calls), [10, 20, 30]);
  assert.equal(batches, [[1], [2], [3]]);
});

test('serial: a failed batch rejects its calls and lets the next one go', async () => {
  const { batches, batch, releases, nextStart } = held(true);
  const first = nextStart();
  const bad = batch.add(-1);
  await first;
  const second = nextStart();
  const good = batch.add(4);
  releases.shift()!();
  const err = await bad.then(
    () => undefined,
    (e: Error) => e.message,
  );
  assert.is(err, 'redis down');
  await second;
  releases.shift()!();
  assert.is(await good, 40);
  assert.equal(batches, [[-1], [4]]);
});

test.run();
