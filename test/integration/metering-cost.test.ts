// What metering asks of Redis, counted on the real Redis with MONITOR. A SUBSCRIBE whose grants
// are cached reads them once (one HGET: the buyer's field in the sensor's subscriptions) and reads its
// cursor (one HMGET); on the delivery path the only Redis commands are the cursor's
// compare-and-set advances (broker/feed.ts), coalesced: at most one per acknowledged entry.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import {
  connectMqtt,
  connectPrincipal,
  end,
  publishAck,
  subscribeAck,
  testGateway,
  waitFor,
} from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';
import { CommandLog } from '../helpers/redis-monitor.ts';

const svc = services();
const keyPrefix = `${unique('cost')}:`;
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let monitor: CommandLog;
const clients: MqttClient[] = [];

/**
 * The metering commands (chain cache and entry counter) run between two marks, as "VERB key". The
 * chain follower's checkpoint (`chain:follower`) is left out: it is written whenever a block
 * arrives, and other files' transactions on the shared chain make blocks at any moment.
 */
function metering(from: number, to: number): string[] {
  const follower = `${keyPrefix}chain:follower`;
  return monitor
    .between(from, to)
    .filter((a) => !a.includes(follower))
    .filter((a) => a.some((x) => x.startsWith(`${keyPrefix}chain:`) || x.startsWith(`${keyPrefix}cursor:`)))
    .map((a) => `${a[0]!.toUpperCase()} ${a.find((x) => x.startsWith(keyPrefix))!.slice(keyPrefix.length)}`);
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    keyPrefix,
  });
  seller = await market.principal('seller');
  monitor = await CommandLog.start(svc.redisUrl);
});

test.after(async () => {
  await end(...clients);
  await monitor?.stop();
  await gw?.close();
  market?.close();
});

async function principal(who: Account): Promise<MqttClient> {
  const client = await connectPrincipal(gw, who);
  clients.push(client);
  return client;
}

async function device(sensor: string): Promise<MqttClient> {
  const token = (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId: sensor,
    username: sensor,
    password: token,
  });
  assert.is(c.returnCode, 0);
  return c.client;
}

/** A buyer paid for `n` entries, and the gateway has applied the chain event (its cache is current). */
async function paidBuyer(name: string, sensor: string, n: number): Promise<Account> {
  const buyer = await market.principal(name);
  let seen = false;
  const off = gw.entitlements.onEvent((e) => {
    if (e.kind === 'subscribed' && e.grant.buyer === buyer.principal && e.grant.sensor === sensor) seen = true;
  });
  await market.subscribe(buyer, sensor, n);
  await waitFor('the Subscribed event applied', () => seen);
  off();
  return buyer;
}

test('a SUBSCRIBE with its grants cached: one HGET and one read of the cursor', async () => {
  const { sensor } = await market.sensor(seller);
  const buyer = await paidBuyer('buyer', sensor, 100);
  const c = await principal(buyer);
  assert.equal(await subscribeAck(c, [`sensors/${sensor}`]), [1], 'first: fills the cache');
  await new Promise<void>((r) => c.unsubscribe(`sensors/${sensor}`, () => r()));
  const from = await monitor.mark();
  assert.equal(await subscribeAck(c, [`sensors/${sensor}`]), [1]);
  const cost = metering(from, await monitor.mark());
  const s = sensor.toLowerCase();
  const b = buyer.principal.toLowerCase();
  // validSubscriptions answers none for a Blocked sensor by itself: no read of the sensor's state.
  assert.equal(cost, [`HGET chain:subs:${s}`, `HMGET cursor:${b}:${s}`]);
});

test('delivering: only the cursor advances, at most one per acknowledged entry, no cache read', async () => {
  const { sensor } = await market.sensor(seller);
  const buyer = await paidBuyer('buyer2', sensor, 100);
  const c = await principal(buyer);
  const got: string[] = [];
  c.on('message', (_t, p) => got.push(p.toString()));
  assert.equal(await subscribeAck(c, [`sensors/${sensor}`]), [1]);
  const dev = await device(sensor);
  const from = await monitor.mark();
  for (const p of ['a', 'b', 'c']) assert.is(await publishAck(dev, `sensors/${sensor}`, p), 'acked');
  await waitFor('3 delivered', () => got.length === 3);
  const key = `cursor:${buyer.principal.toLowerCase()}:${sensor.toLowerCase()}`;
  for (let i = 0; i < 600 && (await gw.meter.used(buyer.principal, sensor)) !== 3; i++) await sleep(25);
  assert.is(await gw.meter.used(buyer.principal, sensor), 3, 'the 3 acknowledged entries counted');
  const cost = metering(from, await monitor.mark()).filter((x) => !x.startsWith('HMGET'));
  assert.ok(cost.length >= 1 && cost.length <= 3, `advances: ${cost.join(', ')}`);
  // The script's text goes once per connection (EVAL), then only its SHA1 (EVALSHA).
  for (const x of cost) assert.match(x, new RegExp(`^EVAL(SHA)? ${key}$`));
  assert.ok(
    cost.slice(1).every((x) => x.startsWith('EVALSHA ')),
    `advances: ${cost.join(', ')}`,
  );
});

test.run();
