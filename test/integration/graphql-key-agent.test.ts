// Whether a seller's key agent is online, as GraphQL says (Sensor.keyAgentOnline and
// Principal.keyAgentOnline), on a real gateway: a connection subscribing to sellers/<s>/keys/requests
// makes it true; UNSUBSCRIBE or disconnecting the last such connection makes it false again, on this
// instance and on a second one sharing the Redis. Every wait polls the answer (or the Redis record,
// broker/presence.ts) until it changes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { sellerKeyRequestTopic } from '../../protocol/topics.ts';
import { connectMqtt, end, subscribeAck, testGateway } from '../helpers/gateway.ts';
import { gqlData, indexed } from '../helpers/graphql.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const test = suite('graphql key agent online');
const svc = services();
const keyPrefix = `${unique('agents')}:`;
let market: Market;
let gw: GatewayHandle;
let api: string;
/** A second instance on the same Redis: it sees the agents connected to the first. */
let gw2: GatewayHandle;
let api2: string;
let redis: Redis;
let seller: Account;
let buyer: Account;
let sensor: string;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, keyPrefix });
  api = `http://127.0.0.1:${gw.httpPort}`;
  gw2 = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, keyPrefix });
  api2 = `http://127.0.0.1:${gw2.httpPort}`;
  redis = new Redis(svc.redisUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  sensor = (await market.sensor(seller)).sensor;
  await indexed(api, market.provider);
});

test.after(async () => {
  await gw?.close();
  await gw2?.close();
  market?.close();
  redis?.disconnect();
});

type Online = { sensor: { keyAgentOnline: boolean }; s: { keyAgentOnline: boolean }; b: { keyAgentOnline: boolean } };

async function online(at = api): Promise<{ sensor: boolean; seller: boolean; buyer: boolean }> {
  const d = await gqlData<Online>(
    at,
    `query($x: Address!, $s: Address!, $b: Address!) { sensor(address: $x) { keyAgentOnline }
      s: principal(address: $s) { keyAgentOnline } b: principal(address: $b) { keyAgentOnline } }`,
    { x: sensor, s: seller.principal, b: buyer.principal },
  );
  return { sensor: d.sensor.keyAgentOnline, seller: d.s.keyAgentOnline, buyer: d.b.keyAgentOnline };
}

/** Polls GraphQL until the seller's presence is `want`; then the sensor says the same, the buyer has none. */
async function until(want: boolean, at = api, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const o = await online(at);
    if (o.seller === want) return assert.equal(o, { sensor: want, seller: want, buyer: false });
    if (Date.now() - t0 > timeoutMs) throw new Error(`keyAgentOnline never became ${want}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The broker's record of the seller's agents (members: <instance>/<client id>). */
const members = () => redis.zrange(`${keyPrefix}mqtt:agents:${seller.principal}`, 0, -1);

async function principalClient(a: Account, suffix = ''): Promise<MqttClient> {
  const token = (await gw.tokens.issuePrincipal(a.principal, a.wallet.address, 600)).token;
  const url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  const c = await connectMqtt(url, { clientId: a.principal + suffix, username: a.principal, password: token });
  assert.is(c.returnCode, 0);
  return c.client;
}

test('no agent: false; subscribed: true; unsubscribed: false; again, then disconnected: false', async () => {
  assert.equal(await online(), { sensor: false, seller: false, buyer: false });
  // A buyer asking for the seller's key requests is refused, and makes nobody's agent online.
  const b = await principalClient(buyer);
  assert.equal(await subscribeAck(b, [sellerKeyRequestTopic(seller.principal)]), [128]);
  const agent = await principalClient(seller, ':agent');
  assert.equal(await subscribeAck(agent, [sellerKeyRequestTopic(seller.principal)]), [1]);
  await until(true);
  await until(true, api2);
  // The buyer's refused SUBSCRIBE was handled first, on the same Redis connection: only the agent is there.
  assert.equal(
    (await members()).map((m) => m.split('/')[1]),
    [`${seller.principal}:agent`],
  );
  await new Promise<void>((resolve, reject) =>
    agent.unsubscribe(sellerKeyRequestTopic(seller.principal), (err) => (err ? reject(err) : resolve())),
  );
  await until(false);
  assert.equal(await subscribeAck(agent, [sellerKeyRequestTopic(seller.principal)]), [1]);
  await until(true);
  await end(agent, b);
  await until(false);
  await until(false, api2);
  assert.equal(await members(), []);
});

test('two agents of one seller: online until the last one leaves', async () => {
  const [one, two] = [await principalClient(seller, ':one'), await principalClient(seller, ':two')];
  for (const c of [one, two]) assert.equal(await subscribeAck(c, [sellerKeyRequestTopic(seller.principal)]), [1]);
  await until(true);
  await end(one);
  // Synced on the record losing the first agent, not on a sleep.
  const t0 = Date.now();
  while ((await members()).length !== 1) {
    if (Date.now() - t0 > 30_000) throw new Error('the first agent never left the record');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(
    (await members()).map((m) => m.split('/')[1]),
    [`${seller.principal}:two`],
  );
  await until(true);
  await end(two);
  await until(false);
});

test.run();
