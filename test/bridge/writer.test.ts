// The write-through on the in-memory store: acknowledgement after the write, batching of
// concurrent publishes, the bounded buffer and its backpressure while the store is down, the
// drain in order afterwards, and permanent failures that reject only what failed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppendRecord } from '../../bridge/log-store.ts';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import { RECEIVED_AT_HEADER } from '../../bridge/entry-record.ts';
import type { WriterOptions } from '../../bridge/writer.ts';
import { itradeError } from '../../protocol/errors.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { address, captureLog, outcome, publish, testWriter, writerOptions } from '../helpers/bridge-fakes.ts';
import { FakeClock } from '../helpers/clock.ts';

function setup(
  over: Partial<WriterOptions> = {},
  store = new MemoryLogStore(),
  log: Logger = createLogger({ level: 'silent' }),
  clock?: FakeClock,
) {
  const { writer, registry } = testWriter(store, writerOptions(over), log, clock);
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name) as
      { values: { value: number; labels: Record<string, string> }[] } | undefined;
    return (
      m?.values
        .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
        .reduce((n, v) => n + v.value, 0) ?? 0
    );
  };
  return { store, writer, metric };
}

async function stored(store: MemoryLogStore, topic: string) {
  return store.read(topic, 0, 0, { maxBytes: 1 << 30, maxRecords: 1 << 30 });
}

test('a publish resolves once stored: exact bytes, keyed by sensor, receive time as timestamp', async () => {
  const { store, writer } = setup();
  const sensor = address();
  const payload = Buffer.from([0, 1, 2, 0xff, 0x7b]);
  await writer.submit(publish(sensor, payload, 1, 1_700_000_000_123));
  const [r] = await stored(store, `p.${sensor}`);
  assert.ok(r!.value.equals(payload));
  assert.is(r!.key, sensor);
  assert.is(r!.timestamp, 1_700_000_000_123);
  assert.equal(r!.headers, {});
  await writer.close(100);
});

test('concurrent publishes share batches, keep per-sensor order, and each resolves', async () => {
  const { store, writer, metric } = setup();
  const sensors = [address(), address(), address()];
  const all = Array.from({ length: 600 }, (_, i) =>
    writer.submit(publish(sensors[i % 3]!, Buffer.from(String(i)), i % 2 ? 1 : 0)),
  );
  await Promise.all(all);
  assert.ok(store.appendSizes.length <= 4, `600 publishes took ${store.appendSizes.length} appends`);
  for (const [k, s] of sensors.entries()) {
    const got = (await stored(store, `p.${s}`)).map((r) => Number(r.value.toString()));
    assert.equal(
      got,
      Array.from({ length: 200 }, (_, j) => j * 3 + k),
    );
  }
  assert.is(await metric('itrade_bridge_written_entries_total'), 600);
  assert.is(await metric('itrade_bridge_buffer_entries'), 0);
  await writer.close(100);
});

test('store down: QoS 1 waits, QoS 0 shed above high-water, all refused at limit; then drains in order', async () => {
  const cap = captureLog();
  const { store, writer, metric } = setup(
    { buffer: { maxEntries: 10, maxBytes: 1 << 20, highWaterPercent: 50, resendWindow: 100 } },
    new MemoryLogStore(),
    cap.log,
  );
  const sensor = address();
  await writer.ensureTopic(sensor);
  store.setAvailable(false);
  const accepted = Array.from({ length: 5 }, (_, i) => writer.submit(publish(sensor, Buffer.from([i]), 1)));
  assert.is(await outcome(writer.submit(publish(sensor, Buffer.from('q0'), 0))), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  accepted.push(...Array.from({ length: 5 }, (_, i) => writer.submit(publish(sensor, Buffer.from([5 + i]), 1))));
  assert.is(await outcome(writer.submit(publish(sensor, Buffer.from('late'), 1))), 'ITRADE_ERR_BRIDGE_BUFFER_FULL');
  assert.is(await metric('itrade_bridge_buffer_entries'), 10);
  assert.is(await metric('itrade_bridge_refused_total', { qos: '0', reason: 'qos0_shed' }), 1);
  assert.is(await metric('itrade_bridge_refused_total', { qos: '1', reason: 'buffer_full' }), 1);
  const unavailable = () => cap.lines.some((l) => l.msg === 'kafka unavailable: buffering, then refusing');
  for (let i = 0; i < 1000 && !unavailable(); i++) await new Promise((r) => setTimeout(r, 10)); // stallWarnMs 100
  assert.ok(unavailable(), 'the stall was never noticed');
  assert.is(await metric('itrade_bridge_kafka_available'), 0);
  assert.ok(cap.lines.some((l) => l.msg === 'bridge refused publishes' && l.reason === 'qos0_shed'));

  store.setAvailable(true);
  await Promise.all(accepted);
  assert.equal(
    (await stored(store, `p.${sensor}`)).map((r) => r.value[0]),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.is(await metric('itrade_bridge_kafka_available'), 1);
  assert.ok(cap.lines.some((l) => l.msg === 'kafka available again: draining the backlog in order'));
  await writer.submit(publish(sensor, Buffer.from([10]), 0));
  await writer.close(100);
});

test('after the limit, QoS 1 stays refused until the buffer is under the high-water mark', async () => {
  const { store, writer } = setup({
    buffer: { maxEntries: 4, maxBytes: 1 << 20, highWaterPercent: 50, resendWindow: 100 },
  });
  const sensor = address();
  await writer.ensureTopic(sensor);
  store.setAvailable(false);
  const held = Array.from({ length: 4 }, (_, i) => writer.submit(publish(sensor, Buffer.from([i]), 1)));
  assert.is(await outcome(writer.submit(publish(sensor, Buffer.from('y'), 1))), 'ITRADE_ERR_BRIDGE_BUFFER_FULL');
  store.setAvailable(true);
  await Promise.all(held);
  assert.is(await outcome(writer.submit(publish(sensor, Buffer.from('z'), 1))), 'resolved');
  await writer.close(100);
});

test('too large, not a sensor address, or closed: refused with a code, nothing stored', async () => {
  const { store, writer, metric } = setup();
  const sensor = address();
  assert.is(
    await outcome(writer.submit(publish(sensor, Buffer.alloc(1025), 1))),
    'ITRADE_ERR_BRIDGE_PAYLOAD_TOO_LARGE',
  );
  assert.is(
    await outcome(writer.submit(publish('sensors/0x12', Buffer.from('a'), 1))),
    'ITRADE_ERR_BRIDGE_BAD_PUBLISH',
  );
  await writer.close(100);
  assert.is(await outcome(writer.submit(publish(sensor, Buffer.from('a'), 1))), 'ITRADE_ERR_BRIDGE_CLOSED');
  assert.is(await metric('itrade_bridge_refused_total'), 3);
  assert.is(await outcome(store.bounds(`p.${sensor}`, 0)), 'ITRADE_ERR_KAFKA_TOPIC');
});

test('timestamps never go back within a topic; the real receive time is kept in a header', async () => {
  const { store, writer } = setup();
  const sensor = address();
  await Promise.all([5000, 4000, 6000].map((t) => writer.submit(publish(sensor, Buffer.from(String(t)), 1, t))));
  const got = await stored(store, `p.${sensor}`);
  assert.equal(
    got.map((r) => r.timestamp),
    [5000, 5000, 6000],
  );
  assert.is(got[1]!.headers[RECEIVED_AT_HEADER], '4000');
  assert.is(got[2]!.headers[RECEIVED_AT_HEADER], undefined);
  await writer.close(100);
});

// Kafka refuses records of one topic for good (say its ACL changed): only those publishes fail.
class RefusingStore extends MemoryLogStore {
  constructor(private readonly badTopic: string) {
    super();
  }
  override async append(records: readonly AppendRecord[]): Promise<number[]> {
    if (records.some((r) => r.topic === this.badTopic))
      throw itradeError('KAFKA_WRITE_FAILED', 'TOPIC_AUTHORIZATION_FAILED');
    return super.append(records);
  }
}

test("a permanent refusal rejects only the refused topic's publishes, the rest of the batch is written", async () => {
  const [good, bad] = [address(), address()];
  const { store, writer, metric } = setup({}, new RefusingStore(`p.${bad}`));
  const results = await Promise.all(
    [good, bad, good, bad].map((s, i) => outcome(writer.submit(publish(s, Buffer.from([i]), 1)))),
  );
  assert.equal(results, ['resolved', 'ITRADE_ERR_KAFKA_WRITE_FAILED', 'resolved', 'ITRADE_ERR_KAFKA_WRITE_FAILED']);
  assert.equal(
    (await stored(store, `p.${good}`)).map((r) => r.value[0]),
    [0, 2],
  );
  assert.is(await metric('itrade_bridge_write_failed_entries_total'), 2);
  await writer.close(100);
});

test('close waits for the store, then refuses what it could not write (never acknowledged)', async () => {
  const { store, writer, metric } = setup();
  const sensor = address();
  await writer.ensureTopic(sensor);
  store.setAvailable(false);
  const pending = [
    writer.submit(publish(sensor, Buffer.from('a'), 1)),
    writer.submit(publish(sensor, Buffer.from('b'), 0)),
  ];
  await writer.close(30);
  assert.equal(await Promise.all(pending.map(outcome)), ['ITRADE_ERR_BRIDGE_CLOSED', 'ITRADE_ERR_BRIDGE_CLOSED']);
  assert.is(await metric('itrade_bridge_refused_total', { reason: 'closed' }), 2);
  assert.is(await metric('itrade_bridge_write_failed_entries_total'), 0);
});

// Before one throttled log for both (issue 13), the bridge's copy kept the figures of the first
// refusal it summed, and a summary still pending at close was never written.
async function refusalsWhileDown(clock: FakeClock) {
  const cap = captureLog();
  const buffer = { maxEntries: 10, maxBytes: 1 << 20, highWaterPercent: 50, resendWindow: 100 };
  const s = setup({ buffer, stallWarnMs: 60_000 }, new MemoryLogStore(), cap.log, clock);
  const sensor = address();
  await s.writer.ensureTopic(sensor);
  s.store.setAvailable(false);
  const accepted = Array.from({ length: 5 }, (_, i) => s.writer.submit(publish(sensor, Buffer.from([i]), 1)));
  const shed = () => outcome(s.writer.submit(publish(sensor, Buffer.from('q0'), 0)));
  const refusals = () => cap.lines.filter((l) => l.msg === 'bridge refused publishes');
  return { ...s, sensor, accepted, shed, refusals };
}

test('a refusal summary carries the buffer figures of when it is written', async () => {
  const clock = new FakeClock();
  const r = await refusalsWhileDown(clock);
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  r.accepted.push(...[5, 6, 7].map((i) => r.writer.submit(publish(r.sensor, Buffer.from([i]), 1))));
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  assert.equal(
    r.refusals().map((l) => [l.count, l.bufferEntries]),
    [[1, 5]],
    'the first at once',
  );
  clock.advance(5000);
  assert.equal(
    r.refusals().map((l) => [l.count, l.bufferEntries, l.reason]),
    [
      [1, 5, 'qos0_shed'],
      [2, 8, 'qos0_shed'],
    ],
  );
  r.store.setAvailable(true);
  await Promise.all(r.accepted);
  await r.writer.close(100);
});

test('close writes the refusal summary still pending', async () => {
  const r = await refusalsWhileDown(new FakeClock());
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  assert.is(await r.shed(), 'ITRADE_ERR_BRIDGE_QOS0_SHED');
  assert.is(r.refusals().length, 1);
  await r.writer.close(20);
  await Promise.allSettled(r.accepted);
  assert.equal(
    r.refusals().map((l) => [l.count, l.bufferEntries]),
    [
      [1, 5],
      [2, 0],
    ],
    'the two summed, with the (emptied) buffer at close',
  );
});

test.run();
