// A device's resend of a publish the bridge already took (its PUBACK was lost with a closed
// connection) is answered with the original's offset and not written again (bridge/resends.ts):
// while the original is still buffered, after it was written, and no longer once it is older
// than bridge.buffer.resendWindow entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import type { WriterOptions } from '../../bridge/writer.ts';
import { address, outcome, publish, testWriter, writerOptions } from '../helpers/bridge-fakes.ts';

function setup(buffer: WriterOptions['buffer']) {
  const store = new MemoryLogStore();
  const { writer, metrics } = testWriter(store, writerOptions({ buffer }));
  const stored = async (sensor: string) =>
    (await store.read(`p.${sensor}`, 0, 0, { maxBytes: 1 << 30, maxRecords: 1 << 30 })).map((r) => r.value.toString());
  const recognised = async () => (await metrics.resendsRecognised.get()).values[0]?.value ?? 0;
  return { store, writer, stored, recognised };
}

// A fresh Buffer each time, as a resend arrives in another packet.
const bytes = (s: string) => Buffer.from(s);

test('a resend of a buffered publish settles with it, takes no room, and is written once', async () => {
  const s = setup({ maxEntries: 2, maxBytes: 1 << 20, highWaterPercent: 100, resendWindow: 100 });
  const sensor = address();
  await s.writer.ensureTopic(sensor);
  s.store.setAvailable(false);
  const a = s.writer.submit(publish(sensor, bytes('a'), 1));
  const b = s.writer.submit(publish(sensor, bytes('b'), 1));
  assert.is(await outcome(s.writer.submit(publish(sensor, bytes('c'), 1))), 'ITRADE_ERR_BRIDGE_BUFFER_FULL');
  const again = s.writer.submit(publish(sensor, bytes('a'), 1)); // not refused: it is in the buffer
  assert.is(s.writer.state().entries, 2);
  s.store.setAvailable(true);
  assert.equal(await Promise.all([a, b, again]), [0, 1, 0]);
  assert.equal(await s.stored(sensor), ['a', 'b']);
  assert.is(await s.recognised(), 1);
  await s.writer.close(100);
});

test('a resend of a written publish gets its offset at once; beyond resendWindow it is written again', async () => {
  const s = setup({ maxEntries: 100, maxBytes: 1 << 20, highWaterPercent: 80, resendWindow: 2 });
  const sensor = address();
  await s.writer.ensureTopic(sensor);
  for (const p of ['a', 'b', 'c']) await s.writer.submit(publish(sensor, bytes(p), 1));
  assert.is(await s.writer.submit(publish(sensor, bytes('c'), 1)), 2);
  assert.is(await s.writer.submit(publish(sensor, bytes('b'), 1)), 1);
  assert.is(await s.writer.submit(publish(sensor, bytes('a'), 1)), 3, 'a: out of the window, written again');
  assert.equal(await s.stored(sensor), ['a', 'b', 'c', 'a']);
  assert.is(await s.recognised(), 2);
  await s.writer.close(100);
});

test('only the same bytes on the same sensor at QoS 1 are a resend', async () => {
  const s = setup({ maxEntries: 100, maxBytes: 1 << 20, highWaterPercent: 80, resendWindow: 100 });
  const [one, two] = [address(), address()];
  await s.writer.ensureTopic(one);
  await s.writer.ensureTopic(two);
  const big = Buffer.alloc(600, 7); // over the inline size: keyed by its hash
  const other = Buffer.from(big);
  other[300] = 8;
  await s.writer.submit(publish(one, big, 1));
  assert.is(await s.writer.submit(publish(one, other, 1)), 1, 'one byte differs');
  assert.is(await s.writer.submit(publish(two, Buffer.from(big), 1)), 0, 'another sensor');
  assert.is(await s.writer.submit(publish(one, bytes('q'), 0)), 2);
  assert.is(await s.writer.submit(publish(one, bytes('q'), 0)), 3, 'QoS 0 is never sent again: not a resend');
  assert.is(await s.writer.submit(publish(one, Buffer.from(big), 1)), 0, 'the same 600 bytes');
  assert.is(await s.recognised(), 1);
  await s.writer.close(100);
});

test.run();
