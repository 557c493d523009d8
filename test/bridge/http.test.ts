// The NDJSON history endpoint on the in-memory store: same entitlement and metering as the MQTT
// replay, clear HTTP errors, and a slow reader that holds back the metered reads. No test sleeps:
// each waits for what it can observe (a full reader buffer, a slot back in the gauge).
import { get, type IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bridge } from '../../bridge/bridge.ts';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import { validateConfig } from '../../config/load.ts';
import { createHttpServer } from '../../http/server.ts';
import { createLogger } from '../../lib/log.ts';
import { FakeChannel, FakeEntitlements, FakeMeter, address, publish } from '../helpers/bridge-fakes.ts';

const T0 = 1_750_000_000_000;

async function setup(
  entries: number,
  size: number,
  http: Record<string, number> = {},
  replay: Record<string, number> = {},
) {
  const config = validateConfig({ bridge: { http, replay, producer: { maxPayloadBytes: 1 << 16 } } }, 'test').bridge;
  const entitlements = new FakeEntitlements();
  const meter = new FakeMeter();
  const registry = new Registry();
  const bridge = new Bridge({
    config,
    store: new MemoryLogStore(),
    entitlements,
    meter,
    channel: new FakeChannel(),
    registry,
    log: createLogger({ level: 'silent' }),
  });
  const sensor = address();
  const buyer = address();
  await bridge.onSensorActivated(sensor);
  await Promise.all(
    Array.from({ length: entries }, (_, i) => bridge.onPublish(publish(sensor, entryBytes(size, i), 1, T0 + i * 1000))),
  );
  const app = createHttpServer({ log: createLogger({ level: 'silent' }) });
  // The buyer's principal JWT is checked by the broker's verifier; here a header names the buyer.
  await app.register(bridge.httpRoutes(async (req) => String(req.headers['x-buyer'])));
  const activeHttp = async () =>
    (await registry.getSingleMetric('itrade_bridge_replays_active')!.get()).values.find(
      (v) => v.labels.channel === 'http',
    )?.value ?? 0;
  return { app, bridge, entitlements, meter, sensor, buyer, activeHttp };
}

function parse(body: string): Record<string, unknown>[] {
  return body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('streams one JSON line per entry from the subscription start, then an end line; metered', async () => {
  const s = await setup(10, 3);
  s.entitlements.grant(s.buyer, s.sensor, (T0 + 4000) / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 100);
  const res = await s.app.inject({ url: `/v1/sensors/${s.sensor}/history`, headers: { 'x-buyer': s.buyer } });
  assert.is(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/x-ndjson/);
  const lines = parse(res.body);
  assert.equal(
    lines.slice(0, -1),
    Array.from({ length: 6 }, (_, i) => ({
      offset: i + 4,
      timestamp: T0 + (i + 4) * 1000,
      payload: Buffer.alloc(3, i + 4).toString('base64'),
    })),
  );
  assert.equal(lines.at(-1), { end: { reason: 'caught-up', sent: 6, next: 10 } });
  assert.is(await s.meter.remaining(s.buyer, s.sensor), 94);
  await s.app.close();
  await s.bridge.close();
});

test('stops at the paid limit; from/offset/limit parameters', async () => {
  const s = await setup(10, 3);
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 100);
  s.meter.pay(s.buyer, s.sensor, 3);
  const paid = parse(
    (await s.app.inject({ url: `/v1/sensors/${s.sensor}/history?from=${T0 + 2000}`, headers: { 'x-buyer': s.buyer } }))
      .body,
  );
  assert.equal(
    paid.map((l) => l.offset ?? l.end),
    [2, 3, 4, { reason: 'paid-limit', sent: 3, next: 5 }],
  );
  s.meter.pay(s.buyer, s.sensor, 10);
  const lim = parse(
    (await s.app.inject({ url: `/v1/sensors/${s.sensor}/history?offset=8&limit=1`, headers: { 'x-buyer': s.buyer } }))
      .body,
  );
  assert.equal(
    lim.map((l) => l.offset ?? l.end),
    [8, { reason: 'limit', sent: 1, next: 9 }],
  );
  await s.app.close();
  await s.bridge.close();
});

test('refusals carry the HTTP status and code', async () => {
  const s = await setup(3, 3);
  const call = async (q: string, sensor = s.sensor) => {
    const res = await s.app.inject({ url: `/v1/sensors/${sensor}/history${q}`, headers: { 'x-buyer': s.buyer } });
    return [res.statusCode, (res.json() as { error: { code: string } }).error.code];
  };
  assert.equal(await call(''), [403, 'ITRADE_ERR_REPLAY_NOT_SUBSCRIBED']);
  s.entitlements.grant(s.buyer, s.sensor, (T0 + 1000) / 1000, 10);
  assert.equal(await call(''), [402, 'ITRADE_ERR_REPLAY_PAID_UP']);
  s.meter.pay(s.buyer, s.sensor, 10);
  assert.equal(await call(`?from=${T0}`), [403, 'ITRADE_ERR_REPLAY_BEFORE_START']);
  assert.equal(await call('?from=1&offset=2'), [400, 'ITRADE_ERR_REPLAY_BAD_REQUEST']);
  assert.equal(await call('?limit=abc'), [400, 'ITRADE_ERR_REPLAY_BAD_REQUEST']);
  assert.equal(await call('?since=1'), [400, 'ITRADE_ERR_REPLAY_BAD_REQUEST']);
  assert.equal(await call('', 'not-an-address'), [400, 'ITRADE_ERR_REPLAY_BAD_REQUEST']);
  await s.app.close();
  await s.bridge.close();
});

test('a malformed request names the parameter; every refusal is counted by code', async () => {
  const s = await setup(3, 3);
  const call = async (q: string, sensor = s.sensor) => {
    const res = await s.app.inject({ url: `/v1/sensors/${sensor}/history${q}`, headers: { 'x-buyer': s.buyer } });
    const e = (res.json() as { error: { code: string; message: string } }).error;
    return [res.statusCode, e.code, e.message];
  };
  const bad = 'ITRADE_ERR_REPLAY_BAD_REQUEST';
  assert.match(String((await call('?limit=abc'))[2]), /^limit: must be an integer from 1 to \d+$/);
  assert.equal(await call('?limit=0&offset=1'), [400, bad, (await call('?limit=abc'))[2]]);
  assert.equal(await call('?since=1'), [400, bad, 'since: unknown field (allowed: from, offset, limit)']);
  assert.equal(await call('?from=1&offset=2'), [400, bad, 'query: give from (ms timestamp) or offset, not both']);
  assert.equal(await call('', '0x12'), [400, bad, "sensor: must be the sensor's 0x-prefixed 20-byte hex address"]);
  assert.equal((await call('', '%zz')).slice(0, 2), [400, 'ITRADE_ERR_HTTP_BAD_REQUEST']);
  const counted = (await s.bridge.metrics.replayRefused.get()).values;
  assert.is(counted.find((v) => v.labels.code === bad)?.value, 6);
  await s.app.close();
  await s.bridge.close();
});

/** Lets every queued continuation and immediate run, `rounds` times over: the in-memory path has no timer or I/O. */
// Each entry its own bytes, as envelopes are (fresh nonce): equal QoS 1 bytes on a sensor would be
// taken for a device's resend and not written again (bridge/resends.ts).
function entryBytes(size: number, i: number): Buffer {
  const b = Buffer.alloc(size, i % 256);
  if (size >= 8) b.writeUInt32BE(i, 0);
  return b;
}

async function quiesce(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

test('a client that does not read holds back the stream: entries are read and metered only as it reads', async () => {
  const total = 1200; // 16 KiB each: about 26 MB of NDJSON
  const s = await setup(total, 16 * 1024, { chunkEntries: 8 });
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, total);
  s.meter.pay(s.buyer, s.sensor, total);
  const metered = async () => total - (await s.meter.remaining(s.buyer, s.sensor));
  // An injected response as a stream: the route writes into the reader's buffer and gets
  // backpressure once it is full, exactly as from a socket, but with no kernel buffer in between.
  const res = await s.app.inject({
    url: `/v1/sensors/${s.sensor}/history`,
    headers: { 'x-buyer': s.buyer },
    payloadAsStream: true,
  });
  assert.is(res.statusCode, 200);
  const reader = res.stream();
  for (let i = 0; i < 1000 && reader.readableLength < reader.readableHighWaterMark; i++) await quiesce(1);
  assert.ok(reader.readableLength >= reader.readableHighWaterMark, "the reader's buffer never filled");
  await quiesce();
  const first = await metered();
  await quiesce();
  assert.is(await metered(), first, 'metering went on while the client read nothing');
  assert.ok(first > 0 && first < total / 2, `metered ${first} of ${total} while the client read nothing`);
  let body = '';
  for await (const chunk of reader) body += String(chunk);
  const lines = parse(body);
  assert.is(lines.length, total + 1);
  assert.equal(lines.at(-1), { end: { reason: 'caught-up', sent: total, next: total } });
  await s.app.close();
  await s.bridge.close();
});

test('a client that goes away frees its replay slot (maxPerBuyer 1)', async () => {
  const s = await setup(600, 16 * 1024, {}, { maxPerBuyer: 1 });
  s.entitlements.grant(s.buyer, s.sensor, T0 / 1000, 10_000);
  s.meter.pay(s.buyer, s.sensor, 10_000);
  const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await new Promise<IncomingMessage>((resolve) =>
    get(`${url}/v1/sensors/${s.sensor}/history`, { headers: { 'x-buyer': s.buyer } }, resolve),
  );
  res.pause();
  const busy = await s.app.inject({ url: `/v1/sensors/${s.sensor}/history?limit=1`, headers: { 'x-buyer': s.buyer } });
  assert.is(busy.statusCode, 429);
  assert.is(await s.activeHttp(), 1);
  res.destroy();
  for (let i = 0; i < 500 && (await s.activeHttp()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(await s.activeHttp(), 0, 'the slot was not given back');
  const again = await s.app.inject({ url: `/v1/sensors/${s.sensor}/history?limit=1`, headers: { 'x-buyer': s.buyer } });
  assert.is(again.statusCode, 200);
  await s.app.close();
  await s.bridge.close();
});

test.run();
