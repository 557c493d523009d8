// Two deliveries of one buyer's cursor (two connections, or two instances) count each entry once:
// the one whose compare-and-set loses adopts the cursor, and acknowledgements it gets afterwards
// for entries below that cursor are not counted again nor move the shared cursor back.
import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqttPacket from 'mqtt-packet';
import { Registry } from 'prom-client';
import type { Client } from 'aedes';
import { Feed } from '../../broker/feed.ts';
import type { BrokerContext } from '../../broker/context.ts';
import { createBrokerMetrics } from '../../broker/metrics.ts';
import type { LogEntry, SensorLog } from '../../interfaces/layers.ts';
import { MemoryCursorStore } from '../../metering/cursors.ts';
import { createLogger } from '../../lib/log.ts';

const BUYER = '0x00000000000000000000000000000000000000b1';
const SENSOR = '0x00000000000000000000000000000000000000a1';

/** The log as the broker sees it: entries in offset order; a read at the end waits for its signal. */
function memoryLog(entries: LogEntry[]): SensorLog {
  return {
    async read(_s, from, max, signal) {
      const got = entries.filter((e) => e.offset >= from).slice(0, max);
      if (got.length > 0) return got;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      return [];
    },
    offsetAt: async () => 0,
    end: async () => entries.length,
  };
}

function context(cursors: MemoryCursorStore, log: SensorLog): BrokerContext {
  const metrics = createBrokerMetrics(new Registry(), { sessions: () => [], inflight: () => 0 });
  const ctx = { cursors, sensorLog: log, metrics, log: createLogger({ level: 'silent' }) };
  return { ...ctx, metering: { window: 10, leaseSize: 100 }, connacked: async () => undefined } as never;
}

/** A connection the feed writes to, and the PUBLISH packets it wrote, as the buyer would read them. */
function connection(id: string): { client: Client; published: { messageId: number; payload: string }[] } {
  const conn = new PassThrough();
  const published: { messageId: number; payload: string }[] = [];
  const parser = mqttPacket.parser();
  parser.on('packet', (p) => {
    if (p.cmd === 'publish') published.push({ messageId: p.messageId!, payload: p.payload.toString() });
  });
  conn.on('data', (b: Buffer) => parser.parse(b));
  return { client: { id, conn, _nextId: 1 } as never, published };
}

/** Advances take a turn of the event loop, as a round trip to Redis does. */
class RoundTripCursors extends MemoryCursorStore {
  override async advance(...args: Parameters<MemoryCursorStore['advance']>) {
    await tick();
    return super.advance(...args);
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    await tick();
  }
  throw new Error(`never happened: ${what}`);
}

test('the delivery that loses the compare-and-set counts nothing the other counted', async () => {
  const cursors = new MemoryCursorStore();
  const start = await cursors.open(BUYER, SENSOR, { next: 0, delivered: 0 });
  const log = memoryLog(['m1', 'm2', 'm3'].map((p, offset) => ({ offset, payload: Buffer.from(p) })));
  const ctx = context(cursors, log);
  const [a, b] = [connection('a'), connection('b')];
  const opts = { sensor: SENSOR, topic: `sensors/${SENSOR}`, qos: 1 as const, limit: 10, cursor: start };
  const feeds = [new Feed(ctx, a.client, BUYER, opts), new Feed(ctx, b.client, BUYER, opts)];
  feeds.forEach((f) => f.run());
  await until('both connections sent the three', () => a.published.length === 3 && b.published.length === 3);
  assert.equal(
    b.published.map((p) => p.payload),
    ['m1', 'm2', 'm3'],
  );

  for (const p of a.published) assert.ok(feeds[0]!.onPuback(p.messageId));
  await until('the first delivery counted the three', async () => (await cursors.get(BUYER, SENSOR))!.delivered === 3);
  // One PUBACK at a time, each advance settled before the next, as a slow buyer would send them.
  for (const p of b.published) {
    assert.ok(feeds[1]!.onPuback(p.messageId));
    for (let i = 0; i < 5; i++) await tick();
  }
  await Promise.all(feeds.map((f) => f.stop()));
  assert.equal(await cursors.get(BUYER, SENSOR), { next: 3, delivered: 3 });
});

test('stop waits for an advance under way and counts what was acknowledged after it began', async () => {
  const cursors = new RoundTripCursors();
  const start = await cursors.open(BUYER, SENSOR, { next: 0, delivered: 0 });
  const ctx = context(cursors, memoryLog(['x', 'y'].map((p, offset) => ({ offset, payload: Buffer.from(p) }))));
  const c = connection('c');
  const opts = { sensor: SENSOR, topic: `sensors/${SENSOR}`, qos: 1 as const, limit: 10, cursor: start };
  const feed = new Feed(ctx, c.client, BUYER, opts);
  feed.run();
  await until('two sent', () => c.published.length === 2);
  feed.onPuback(c.published[0]!.messageId); // starts an advance of one entry
  feed.onPuback(c.published[1]!.messageId); // acknowledged while it is under way
  await feed.stop();
  assert.equal(await cursors.get(BUYER, SENSOR), { next: 2, delivered: 2 });
});

test.run();
