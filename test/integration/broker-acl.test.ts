// Per-topic authorisation on real Redis and anvil: exact SUBACK lists for every kind of filter,
// publishes refused by disconnect without PUBACK, the PUBACK held until the history store
// (PublishListener) acknowledged, buyer requests routed to the handler, and refusal notices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import type { AcceptedPublish, PublishListener } from '../../interfaces/layers.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqtt, end, marker, publishAck, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
let market: Market;
let keyPrefix: string;
let gw: GatewayHandle;
let url: string;
let seller: Account;
let buyer: Account;
let paid: string;
let unpaid: string;
let later: string;
let device: MqttClient;
let buyerClient: MqttClient;
const received: { topic: string; payload: string }[] = [];
const requests: { buyer: string; topic: string; payload: string }[] = [];
const replies: { seller: string; payload: string }[] = [];
let second: GatewayHandle;

/** A history store the test controls: it records, and holds or fails each publish on demand. */
class HeldListener implements PublishListener {
  accepted: AcceptedPublish[] = [];
  hold: { release: () => void; fail: (e: Error) => void } | undefined;
  holding = false;
  async onPublish(p: AcceptedPublish): Promise<void> {
    this.accepted.push(p);
    if (!this.holding) return;
    await new Promise<void>((release, fail) => (this.hold = { release, fail }));
  }
  async onSensorActivated(): Promise<void> {}
}
const listener = new HeldListener();

async function sensorClient(sensor: string): Promise<MqttClient> {
  const token = (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(url, { clientId: sensor, username: sensor, password: token });
  assert.is(c.returnCode, 0);
  return c.client;
}

async function principalClient(a: Account, suffix = ''): Promise<MqttClient> {
  const token = (await gw.tokens.issuePrincipal(a.principal, a.wallet.address, 600)).token;
  const c = await connectMqtt(url, { clientId: a.principal + suffix, username: a.principal, password: token });
  assert.is(c.returnCode, 0);
  return c.client;
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  keyPrefix = `${unique('acl')}:`;
  const sellerHandler = {
    onSellerMessage: async (s: string, _t: string, p: Buffer) =>
      void replies.push({ seller: s, payload: p.toString() }),
  };
  gw = await testGateway(
    { marketplace: market.address, fromBlock: market.deployBlock, keyPrefix },
    {
      publishListener: listener,
      sellerHandler,
      buyerHandler: {
        onBuyerMessage: async (b, topic, p) => void requests.push({ buyer: b, topic, payload: p.toString() }),
      },
    },
  );
  url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  // A second instance on the same Redis, to prove seller replies reach every instance.
  second = await testGateway(
    { marketplace: market.address, fromBlock: market.deployBlock, keyPrefix },
    { sellerHandler },
  );
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  paid = (await market.sensor(seller)).sensor;
  unpaid = (await market.sensor(seller)).sensor;
  later = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, paid, 1000);
  await market.subscribe(buyer, later, 10, Math.floor(Date.now() / 1000) + 86400);
  device = await sensorClient(paid);
  buyerClient = await principalClient(buyer);
  buyerClient.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
});

test.after(async () => {
  await end(device, buyerClient);
  await gw.close();
  await second.close();
  market.close();
});

test('SUBACK: paid sensor granted; unpaid, not yet started, wildcards, foreign trees and $SYS refused', async () => {
  assert.equal(await subscribeAck(buyerClient, [`buyers/${buyer.principal}/notices`]), [1]);
  const other = await market.principal('other');
  const filters = [
    `sensors/${paid}`,
    `sensors/${unpaid}`,
    `sensors/${later}`,
    'sensors/+',
    'sensors/#',
    '#',
    '+/+',
    `buyers/${buyer.principal}/#`,
    `buyers/${other.principal}/#`,
    'buyers/+/notices',
    `sellers/${buyer.principal}/keys/requests`,
    `sellers/${buyer.principal}/keys/replies`,
    '$SYS/#',
  ];
  assert.equal(await subscribeAck(buyerClient, filters), [1, 128, 128, 128, 128, 128, 128, 1, 128, 128, 1, 128, 128]);
  const notices = await waitFor('two refusal notices', () => {
    const n = received
      .filter((r) => r.topic.endsWith('/notices'))
      .map((r) => JSON.parse(r.payload) as { type: string; sensor: string });
    return n.length >= 2 ? n : undefined;
  });
  assert.equal(
    notices.map((n) => [n.type, n.sensor]).sort(),
    [
      ['subscribe-refused', later],
      ['subscribe-refused', unpaid],
    ].sort(),
  );
});

test('SUBACK: a sensor subscribes to nothing; an operator reads $SYS only', async () => {
  assert.equal(await subscribeAck(device, [`sensors/${paid}`, '#']), [128, 128]);
  const op = (await gw.tokens.issueOperator('ops', 600)).token;
  const c = await connectMqtt(url, { clientId: 'operator:ops', username: 'operator:ops', password: op });
  assert.is(c.returnCode, 0);
  assert.equal(await subscribeAck(c.client, ['$SYS/#', '#', `sensors/${paid}`]), [1, 128, 128]);
  await end(c.client);
});

test('a sensor publish is acknowledged only after the history store took it', async () => {
  listener.holding = true;
  const before = listener.accepted.length;
  const acked = publishAck(device, `sensors/${paid}`, 'reading-1');
  let state = 'pending';
  void acked.then((r) => (state = r));
  await waitFor('listener saw the publish', () => listener.accepted.length > before && listener.hold !== undefined);
  // Aedes would put the publish on the bus before writing its PUBACK: had either happened, the
  // buyer (subscribed to buyers/<p>/#) would have it before this marker.
  await marker(gw, buyer.principal, buyerClient);
  assert.is(state, 'pending', 'no PUBACK while the store has not acknowledged');
  assert.not.ok(
    received.some((r) => r.payload === 'reading-1'),
    'not delivered before the store acknowledged',
  );
  listener.holding = false;
  listener.hold!.release();
  listener.hold = undefined;
  assert.is(await acked, 'acked');
  const a = listener.accepted.at(-1)!;
  assert.is(a.sensor, paid);
  assert.is(a.payload.toString(), 'reading-1');
  assert.is(a.clientId, paid);
  // This gateway's history store is a stand-in with no log: buyers are served from the log at
  // their cursors (delivery is tested on the real Kafka in broker-metering and e2e-market).
});

test('a publish the history store refuses gets no PUBACK: the device is cut off, nothing is delivered', async () => {
  listener.holding = true;
  const acked = publishAck(device, `sensors/${paid}`, 'reading-lost');
  await waitFor('listener holds', () => listener.hold !== undefined);
  listener.hold!.fail(new Error('kafka down'));
  listener.hold = undefined;
  listener.holding = false;
  assert.is(await acked, 'closed');
  await marker(gw, buyer.principal, buyerClient);
  assert.not.ok(received.some((r) => r.payload === 'reading-lost'));
  await end(device);
  device = await sensorClient(paid);
});

test('a sensor publishing anywhere but its own topic is disconnected without PUBACK', async () => {
  for (const topic of [`sensors/${unpaid}`, `buyers/${buyer.principal}/notices`, '$SYS/x', 'other']) {
    const before = listener.accepted.length;
    assert.is(await publishAck(device, topic, 'x'), 'closed', topic);
    assert.is(listener.accepted.length, before);
    await end(device);
    device = await sensorClient(paid);
  }
});

test('buyer requests under its own tree reach the handler; notices, key answers, foreign trees refused', async () => {
  assert.is(await publishAck(buyerClient, `buyers/${buyer.principal}/keys/request`, '{"sensor":"x"}'), 'acked');
  await waitFor('handler got the request', () =>
    requests.find((r) => r.topic === `buyers/${buyer.principal}/keys/request`),
  );
  assert.is(requests[0]!.buyer, buyer.principal);
  for (const [suffix, topic] of [
    [':second', `buyers/${buyer.principal}/notices`],
    [':third', `buyers/${buyer.principal}/keys/3`],
    [':fourth', `sensors/${paid}`],
    [':fifth', `sellers/${buyer.principal}/keys/requests`],
  ] as const) {
    const c = await principalClient(buyer, suffix);
    assert.is(await publishAck(c, topic, 'forged'), 'closed', topic);
    await end(c);
  }
});

test("a key agent's reply reaches the seller handler of every instance, named by the agent's principal", async () => {
  const agent = await principalClient(seller, ':agent');
  assert.equal(await subscribeAck(agent, [`sellers/${seller.principal}/keys/requests`]), [1]);
  const asked: string[] = [];
  agent.on('message', (t, p) => asked.push(`${t} ${p.toString()}`));
  await gw.sellers.send(seller.principal, `sellers/${seller.principal}/keys/requests`, Buffer.from('req-1'), 1);
  await waitFor('the agent got the request', () => asked.length === 1);
  assert.is(await publishAck(agent, `sellers/${seller.principal}/keys/replies`, 'reply-1'), 'acked');
  await waitFor('both instances heard the reply', () => replies.length === 2);
  assert.equal(
    replies.map((r) => [r.seller, r.payload]),
    [
      [seller.principal, 'reply-1'],
      [seller.principal, 'reply-1'],
    ],
  );
  await end(agent);
});

test('a gateway notice reaches only its buyer, on whichever connection', async () => {
  const other = await market.principal('eavesdropper');
  const spy = await principalClient(other);
  const spied: string[] = [];
  spy.on('message', (t) => spied.push(t));
  assert.equal(await subscribeAck(spy, [`buyers/${other.principal}/#`]), [1]);
  await gw.buyers.send(buyer.principal, `buyers/${buyer.principal}/keys/${paid}`, Buffer.from('wrapped-key'), 1);
  await waitFor('buyer got its key message', () =>
    received.find((r) => r.topic === `buyers/${buyer.principal}/keys/${paid}`),
  );
  assert.equal(spied, []);
  await end(spy);
});

test('a blocked sensor ends its subscriptions: the buyer is unsubscribed, told, and refused afterwards', async () => {
  const doomed = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, doomed, 50);
  assert.equal(await subscribeAck(buyerClient, [`sensors/${doomed}`]), [1]);
  await market.block(doomed);
  const n = await waitFor('subscription-ended notice', () =>
    received
      .map((r) =>
        r.topic.endsWith('/notices')
          ? (JSON.parse(r.payload) as { type: string; sensor: string; reason: string })
          : undefined,
      )
      .find((x) => x?.type === 'subscription-ended' && x.sensor === doomed),
  );
  assert.match(n.reason, /blocked/);
  assert.equal(await subscribeAck(buyerClient, [`sensors/${doomed}`]), [128]);
});

test.run();
