// MQTT replay through the Bridge on the in-memory store: entitlement, start no earlier than the
// subscription, metering to the paid limit, window flow control, caps, cancel and timeouts.
// The in-memory path has no timer but the ack timeout, which runs on a fake clock: a test waits
// for queued work to run (tick), never for time to pass.
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bridge } from '../../../bridge/bridge.ts';
import { MemoryLogStore } from '../../../bridge/memory-store.ts';
import { decodeFrame, type Control } from '../../../protocol/replay.ts';
import { validateConfig } from '../../../config/load.ts';
import { buyerTopic } from '../../../protocol/topics.ts';
import { createLogger } from '../../../lib/log.ts';
import { FakeChannel, FakeEntitlements, FakeMeter, address, publish, replayBuyer } from '../../helpers/bridge-fakes.ts';
import { FakeClock } from '../../helpers/clock.ts';

const T0 = 1_750_000_000_000; // ms, a whole second

async function setup(replay: Record<string, number> = {}) {
  const config = validateConfig({ bridge: { replay: { ackTimeoutMs: 1000, ...replay } } }, 'test').bridge;
  const store = new MemoryLogStore();
  const entitlements = new FakeEntitlements();
  const meter = new FakeMeter();
  const channel = new FakeChannel();
  const clock = new FakeClock();
  const bridge = new Bridge({
    config,
    store,
    entitlements,
    meter,
    channel,
    registry: new Registry(),
    log: createLogger({ level: 'silent' }),
    clock,
  });
  const sensor = address();
  const buyer = address();
  await bridge.onSensorActivated(sensor);
  // 20 entries, one a second from T0.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => bridge.onPublish(publish(sensor, Buffer.from([i, 0xaa]), 1, T0 + i * 1000))),
  );
  const request = (body: object) =>
    bridge.onBuyerMessage(buyer, buyerTopic(buyer, 'replay', 'request'), Buffer.from(JSON.stringify(body)));
  const ack = (id: string, body: object) =>
    bridge.onBuyerMessage(buyer, buyerTopic(buyer, 'replay', id, 'ack'), Buffer.from(JSON.stringify(body)));
  const controls = (topicId: string): Control[] =>
    channel.sent
      .filter((s) => s.topic === buyerTopic(buyer, 'replay', topicId))
      .map((s) => decodeFrame(s.payload))
      .flatMap((f) => ('control' in f ? [f.control] : []));
  return { bridge, store, entitlements, meter, channel, clock, sensor, buyer, request, ack, controls };
}

/** Lets every queued continuation and immediate run, twenty rounds over. */
async function tick(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

test('from the subscription start: exactly the entries from it on, in order, bytes untouched, metered', async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, (T0 + 5000) / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  const done = replayBuyer(s.channel, s.bridge, s.buyer, 'r1');
  await s.request({ id: 'r1', sensor: s.sensor });
  const out = await done;
  assert.equal(
    out.entries.map((e) => e.offset),
    Array.from({ length: 15 }, (_, i) => i + 5),
  );
  assert.equal(
    out.entries.map((e) => e.timestamp),
    Array.from({ length: 15 }, (_, i) => T0 + (i + 5) * 1000),
  );
  assert.ok(out.entries.every((e, i) => Buffer.from(e.payload).equals(Buffer.from([i + 5, 0xaa])) && e.seq === i + 1));
  assert.equal(out.controls[0], { type: 'started', id: 'r1', sensor: s.sensor, from: 5, end: 20, window: 100 });
  assert.equal(out.controls[1], { type: 'end', id: 'r1', reason: 'caught-up', sent: 15, next: 20 });
  assert.is(await s.meter.remaining(s.buyer, s.sensor), 85);
  await s.bridge.close();
});

test('from a later timestamp or an offset; a limit ends early', async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  const a = replayBuyer(s.channel, s.bridge, s.buyer, 'ts');
  await s.request({ id: 'ts', sensor: s.sensor, from: { timestamp: T0 + 17_500 } });
  assert.equal(
    (await a).entries.map((e) => e.offset),
    [18, 19],
  );
  const b = replayBuyer(s.channel, s.bridge, s.buyer, 'off');
  await s.request({ id: 'off', sensor: s.sensor, from: { offset: 3 }, limit: 4 });
  const out = await b;
  assert.equal(
    out.entries.map((e) => e.offset),
    [3, 4, 5, 6],
  );
  assert.equal(out.controls.at(-1), { type: 'end', id: 'off', reason: 'limit', sent: 4, next: 7 });
  await s.bridge.close();
});

test('never more than paid: the replay ends at the paid limit, the next request is refused', async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 5);
  s.meter.pay(s.buyer, s.sensor, 5);
  const done = replayBuyer(s.channel, s.bridge, s.buyer, 'p', 2);
  await s.request({ id: 'p', sensor: s.sensor, window: 3 });
  const out = await done;
  assert.equal(
    out.entries.map((e) => e.offset),
    [0, 1, 2, 3, 4],
  );
  assert.equal(out.controls.at(-1), { type: 'end', id: 'p', reason: 'paid-limit', sent: 5, next: 5 });
  await s.request({ id: 'p2', sensor: s.sensor });
  assert.equal(
    s.controls('p2').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_PAID_UP'],
  );
  await s.bridge.close();
});

test('without a valid subscription, or before its start: refused, no entry sent, nothing metered', async () => {
  const s = await setup();
  s.meter.pay(s.buyer, s.sensor, 100);
  await s.request({ id: 'none', sensor: s.sensor });
  assert.equal(
    s.controls('none').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_NOT_SUBSCRIBED'],
  );
  s.entitlements.grant(s.buyer, s.sensor, (T0 + 10_000) / 1000, 100);
  await s.request({ id: 'early', sensor: s.sensor, from: { timestamp: T0 + 9_999 } });
  await s.request({ id: 'early2', sensor: s.sensor, from: { offset: 9 } });
  assert.equal(
    s.controls('early').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_BEFORE_START'],
  );
  assert.equal(
    s.controls('early2').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_BEFORE_START'],
  );
  assert.is(s.channel.sent.length, 3);
  assert.is(await s.meter.remaining(s.buyer, s.sensor), 100);
  await s.request({ id: 'bad' });
  assert.equal(
    s.controls('bad').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_BAD_REQUEST'],
  );
  await s.bridge.onBuyerMessage(s.buyer, buyerTopic(s.buyer, 'replay', 'request'), Buffer.from('{'));
  assert.equal(
    s.controls('error').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_BAD_REQUEST'],
  );
  await s.bridge.close();
});

test('flow control: at most `window` unacknowledged entries; acks release more; cancel ends it', async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  await s.request({ id: 'slow', sensor: s.sensor, window: 4 });
  const entries = () =>
    s.channel.sent.filter((x) => x.topic === buyerTopic(s.buyer, 'replay', 'slow') && x.payload[0] === 1).length;
  await tick();
  assert.is(entries(), 4);
  assert.is(await s.meter.remaining(s.buyer, s.sensor), 96, 'only what was sent is metered');
  await s.ack('slow', { ack: 2 });
  await tick();
  assert.is(entries(), 6);
  await s.ack('slow', { ack: 2 }); // a repeated ack releases nothing
  await tick();
  assert.is(entries(), 6);
  await s.ack('slow', { cancel: true });
  await tick();
  assert.equal(s.controls('slow').at(-1), { type: 'end', id: 'slow', reason: 'cancelled', sent: 6, next: 6 });
  await s.bridge.close();
});

test('a buyer that stops acknowledging is cut off after ackTimeoutMs', async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  await s.request({ id: 'gone', sensor: s.sensor, window: 2 });
  await tick();
  s.clock.advance(999);
  await tick();
  assert.equal(
    s.controls('gone').map((c) => c.type),
    ['started'],
    'still waiting just before ackTimeoutMs',
  );
  s.clock.advance(1);
  await tick();
  assert.equal(s.controls('gone').at(-1), { type: 'end', id: 'gone', reason: 'ack-timeout', sent: 2, next: 2 });
  await s.bridge.close();
});

test('caps: a second replay of a buyer is refused (maxPerBuyer 1), a reused id on the error topic', async () => {
  const s = await setup({ maxPerBuyer: 1 });
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  await s.request({ id: 'one', sensor: s.sensor, window: 1 });
  await s.request({ id: 'two', sensor: s.sensor });
  await s.request({ id: 'one', sensor: s.sensor });
  assert.equal(
    s.controls('two').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_TOO_MANY'],
  );
  assert.equal(
    s.controls('error').map((c) => c.type === 'error' && c.code),
    ['ITRADE_ERR_REPLAY_DUPLICATE_ID'],
  );
  assert.equal(
    s.controls('one').map((c) => c.type),
    ['started'],
  );
  await s.bridge.close();
  assert.equal(
    s.controls('one').map((c) => c.type),
    ['started', 'end'],
  );
});

test("a subscription that stops being valid ends the replay; other buyers' topics are ignored", async () => {
  const s = await setup();
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  await s.request({ id: 'rv', sensor: s.sensor, window: 3 });
  await tick();
  const other = address();
  await s.bridge.onBuyerMessage(other, buyerTopic(s.buyer, 'replay', 'rv', 'ack'), Buffer.from('{"ack":3}'));
  await tick();
  assert.is(s.channel.sent.filter((x) => x.payload[0] === 1).length, 3, 'another principal cannot ack');
  s.entitlements.revokeAll();
  await s.ack('rv', { ack: 3 });
  await tick();
  assert.equal(s.controls('rv').at(-1), { type: 'end', id: 'rv', reason: 'not-entitled', sent: 3, next: 3 });
  await s.bridge.close();
});

test.run();
