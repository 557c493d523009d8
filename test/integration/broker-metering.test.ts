// Metering on real Redis and anvil: a buyer who paid for N entries receives exactly N however
// many are published, is told why it stops, and cannot subscribe again; two broker instances
// sharing one Redis share one cursor, so two connections of one buyer are counted N in all.
// "Exactly" is checked after a marker the gateway publishes once the buyer was told it is paid
// up (test/helpers/gateway.ts, marker): delivery has stopped by then, a late extra would come first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import {
  connectMqtt,
  connectPrincipal,
  end,
  marker,
  markerTopic,
  publishAck,
  subscribeAck,
  testGateway,
  waitFor,
} from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const N = 40;
const PUBLISHED = 3 * N;
let market: Market;
let a: GatewayHandle;
let b: GatewayHandle;
let seller: Account;

const metering = { broker: { metering: { window: 8, leaseSize: 16 } } };

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  const keyPrefix = `${unique('meter')}:`;
  const o = { marketplace: market.address, fromBlock: market.deployBlock, keyPrefix, ...metering };
  a = await testGateway(o);
  b = await testGateway(o);
  seller = await market.principal('seller');
});

test.after(async () => {
  await a.close();
  await b.close();
  market.close();
});

async function principalOn(gw: GatewayHandle, who: Account, suffix: string): Promise<MqttClient> {
  return connectPrincipal(gw, who, `${who.principal}:${suffix}`);
}

async function deviceOn(gw: GatewayHandle, sensor: string): Promise<MqttClient> {
  const token = (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId: sensor,
    username: sensor,
    password: token,
  });
  assert.is(c.returnCode, 0);
  return c.client;
}

function collect(c: MqttClient, sensor: string): { data: string[]; notices: { type: string; sensor: string }[] } {
  const out = { data: [] as string[], notices: [] as { type: string; sensor: string }[] };
  c.on('message', (topic, payload) => {
    if (topic === `sensors/${sensor}`) out.data.push(payload.toString());
    else if (topic.endsWith('/notices'))
      out.notices.push(JSON.parse(payload.toString()) as { type: string; sensor: string });
  });
  return out;
}

test(`a buyer who paid for ${N} entries gets exactly ${N} of ${PUBLISHED}, a notice, then SUBACK 0x80`, async () => {
  const buyer = await market.principal('buyer');
  const { sensor } = await market.sensor(seller);
  await market.subscribe(buyer, sensor, N);
  const c = await principalOn(a, buyer, 'one');
  const got = collect(c, sensor);
  const filters = [`buyers/${buyer.principal}/notices`, `sensors/${sensor}`, markerTopic(buyer.principal)];
  assert.equal(await subscribeAck(c, filters), [1, 1, 1]);
  const dev = await deviceOn(a, sensor);
  for (let i = 0; i < PUBLISHED; i++) assert.is(await publishAck(dev, `sensors/${sensor}`, String(i)), 'acked');
  await waitFor('the exhaustion notice', () =>
    got.notices.find((n) => n.type === 'entries-exhausted' && n.sensor === sensor),
  );
  await marker(a, buyer.principal, c);
  assert.is(got.data.length, N);
  assert.equal(
    got.data,
    Array.from({ length: N }, (_, i) => String(i)),
    'the first N, in order',
  );
  assert.is(await a.meter.remaining(buyer.principal, sensor), 0);
  assert.equal(await subscribeAck(c, [`sensors/${sensor}`]), [128]);
  await end(c, dev);
});

test('two instances share one cursor: a buyer connected to both is counted exactly N in all', async () => {
  const buyer = await market.principal('buyer2');
  const { sensor } = await market.sensor(seller);
  await market.subscribe(buyer, sensor, N);
  const onA = await principalOn(a, buyer, 'a');
  const onB = await principalOn(b, buyer, 'b');
  const gotA = collect(onA, sensor);
  const gotB = collect(onB, sensor);
  const filters = [`buyers/${buyer.principal}/notices`, `sensors/${sensor}`, markerTopic(buyer.principal)];
  assert.equal(await subscribeAck(onA, filters), [1, 1, 1]);
  assert.equal(await subscribeAck(onB, filters.slice(1)), [1, 1]);
  const dev = await deviceOn(b, sensor);
  for (let i = 0; i < PUBLISHED; i++) assert.is(await publishAck(dev, `sensors/${sensor}`, String(i)), 'acked');
  // Each connection's delivery ends with a notice (both reach A, subscribed to the notices).
  await waitFor(
    'both exhaustion notices',
    () => gotA.notices.filter((n) => n.type === 'entries-exhausted').length >= 2,
  );
  await marker(b, buyer.principal, onA, onB);
  // Both read the one cursor: each gets entries of the first N, in order (an entry may reach
  // both connections, counted once); together they cover them, nothing beyond.
  const firstN = Array.from({ length: N }, (_, i) => String(i));
  for (const got of [gotA.data, gotB.data]) {
    const n = got.map(Number);
    assert.ok(
      n.every((x, i) => x < N && (i === 0 || x > n[i - 1]!)),
      'entries of the first N, in order',
    );
  }
  assert.equal(
    [...new Set([...gotA.data, ...gotB.data])].sort((x, y) => Number(x) - Number(y)),
    firstN,
  );
  assert.is(await a.meter.remaining(buyer.principal, sensor), 0);
  await end(onA, onB, dev);
});

test('a pipelined burst far over the lease: exactly N, in order, nothing skipped', async () => {
  const buyer = await market.principal('burst');
  const { sensor } = await market.sensor(seller);
  const n = 300;
  await market.subscribe(buyer, sensor, n);
  const c = await principalOn(a, buyer, 'burst');
  const got = collect(c, sensor);
  const filters = [`buyers/${buyer.principal}/notices`, `sensors/${sensor}`, markerTopic(buyer.principal)];
  assert.equal(await subscribeAck(c, filters), [1, 1, 1]);
  const dev = await deviceOn(a, sensor);
  dev.setMaxListeners(0); // one close listener per pipelined publish
  await Promise.all(Array.from({ length: 2 * n }, (_, i) => publishAck(dev, `sensors/${sensor}`, String(i))));
  await waitFor('the exhaustion notice', () => got.notices.find((x) => x.type === 'entries-exhausted'));
  await marker(a, buyer.principal, c);
  assert.equal(
    got.data,
    Array.from({ length: n }, (_, i) => String(i)),
  );
  await end(c, dev);
});

test('unsubscribing counts only what was delivered: nothing paid is lost', async () => {
  const buyer = await market.principal('buyer3');
  const { sensor } = await market.sensor(seller);
  await market.subscribe(buyer, sensor, N);
  const c = await principalOn(a, buyer, 'x');
  const got = collect(c, sensor);
  assert.equal(await subscribeAck(c, [`sensors/${sensor}`]), [1]);
  const dev = await deviceOn(a, sensor);
  for (let i = 0; i < 3; i++) assert.is(await publishAck(dev, `sensors/${sensor}`, String(i)), 'acked');
  await waitFor('3 entries', () => got.data.length === 3);
  await new Promise<void>((r) => c.unsubscribe(`sensors/${sensor}`, () => r()));
  const left = await waitForValue(() => a.meter.remaining(buyer.principal, sensor), N - 3);
  assert.is(left, N - 3);
  await end(c, dev);
});

async function waitForValue(read: () => Promise<number>, want: number): Promise<number> {
  let v = await read();
  for (let i = 0; i < 200 && v !== want; i++) {
    await new Promise((r) => setTimeout(r, 25));
    v = await read();
  }
  return v;
}

test.run();
