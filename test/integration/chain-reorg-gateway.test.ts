// A reorg seen by a whole gateway (issue 16, "Finality"): a subscription and a sensor registration
// mined, seen (SUBSCRIBE granted, the sensor in the catalogue), then reverted away (evm_revert on
// an anvil of this file's own). The buyer's live subscription ends the way a blocked sensor's
// does (unsubscribed, told on its notices topic), a new SUBSCRIBE is refused, and the catalogue
// entry is retracted.
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqtt, end, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { privateAnvil, type PrivateAnvil } from '../../stack/private-anvil.ts';

let anvil: PrivateAnvil;
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let buyer: Account;
let sensor: string;
let client: MqttClient;
const notices: { type: string; sensor: string; reason: string }[] = [];

/** Waits (generously: a loaded machine) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.before(async () => {
  anvil = await privateAnvil();
  market = await Market.deploy(anvil.rpcUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  ({ sensor } = await market.sensor(seller));
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, rpcUrl: anvil.rpcUrl });
  const token = (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId: buyer.principal,
    username: buyer.principal,
    password: token,
  });
  assert.is(c.returnCode, 0);
  client = c.client;
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/notices')) notices.push(JSON.parse(payload.toString()) as (typeof notices)[number]);
  });
  assert.equal(await subscribeAck(client, [`buyers/${buyer.principal}/notices`]), [1]);
});

test.after(async () => {
  await end(client);
  await gw.close();
  market.close();
  await anvil.stop();
});

test('a subscription and a registration reverted away: delivery ends, SUBSCRIBE refused, index retracted', async () => {
  const snapshot = await market.provider.send('evm_snapshot', []);
  await market.subscribe(buyer, sensor, 20);
  const late = (await market.sensor(seller)).sensor;
  assert.equal(await subscribeAck(client, [`sensors/${sensor}`]), [1], 'granted while the subscription is on chain');
  const store = gw.catalogue!.store;
  await until('the new sensor in the catalogue', async () => (await store.sensors([late]))[0] !== undefined);
  assert.is(await market.provider.send('evm_revert', [snapshot]), true);
  await market.provider.send('anvil_mine', ['0x2']);
  const n = await waitFor('subscription-ended notice', () =>
    notices.find((x) => x.type === 'subscription-ended' && x.sensor === sensor),
  );
  assert.match(n.reason, /reorganisation/);
  assert.equal(await subscribeAck(client, [`sensors/${sensor}`]), [128], 'refused once the chain has no subscription');
  await until('the sensor gone from the catalogue', async () => (await store.sensors([late]))[0] === undefined);
});

test.run();
