// Data sovereignty for real: Linux routes all of 127.0.0.0/8 to loopback, so a client bound to
// 127.0.0.2 comes from another address than 127.0.0.1. With 127.0.0.2/32 denied, that client is
// refused with CONNACK 5 (TCP and WebSocket, even with a valid token) and HTTP 403, each refusal
// counted, while 127.0.0.1 is served; the region is on GET /v1/info. Behind a trusted proxy the
// X-Forwarded-For hop decides; from anyone else the header is ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqtt, connectMqttFrom, end, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { getFrom, sample, scrape } from '../helpers/metrics.ts';
import { services } from '../helpers/services.ts';

const svc = services();
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let sensor: string;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  ({ sensor } = await market.sensor(seller));
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    sovereignty: {
      region: 'eu-test',
      allow: ['127.0.0.0/8'],
      deny: ['127.0.0.2/32'],
      trustedProxies: ['127.0.0.1/32'],
    },
  });
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

async function deviceOptions() {
  return {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  };
}

test('MQTT over TCP: the denied network gets CONNACK 5 with a valid token, 127.0.0.1 gets 0', async () => {
  const denied = await connectMqttFrom('127.0.0.2', gw.mqtt.tcp!, await deviceOptions());
  assert.is(denied.returnCode, 5);
  const allowed = await connectMqttFrom('127.0.0.1', gw.mqtt.tcp!, await deviceOptions());
  assert.is(allowed.returnCode, 0);
  await end(denied.client, allowed.client);
});

test("MQTT over WebSocket: the same rule, and a trusted proxy's X-Forwarded-For decides", async () => {
  const url = `ws://127.0.0.1:${gw.mqtt.ws}/mqtt`;
  const denied = await connectMqtt(url, { ...(await deviceOptions()), wsOptions: { localAddress: '127.0.0.2' } });
  assert.is(denied.returnCode, 5);
  // 127.0.0.1 is a trusted proxy: the client it forwards for is the denied one.
  const forwarded = await connectMqtt(url, {
    ...(await deviceOptions()),
    wsOptions: { headers: { 'x-forwarded-for': '127.0.0.2' } },
  });
  assert.is(forwarded.returnCode, 5);
  // 127.0.0.3 is no proxy: its header is its own claim and is ignored.
  const claimed = await connectMqtt(url, {
    ...(await deviceOptions()),
    wsOptions: { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '127.0.0.2' } },
  });
  assert.is(claimed.returnCode, 0);
  await end(denied.client, forwarded.client, claimed.client);
});

test('HTTP API: 403 with the error code for the denied network; the region on /v1/info', async () => {
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const denied = await getFrom(`${base}/v1/info`, '127.0.0.2');
  assert.is(denied.status, 403);
  assert.is((JSON.parse(denied.body) as { error: { code: string } }).error.code, 'ITRADE_ERR_SOVEREIGNTY_DENIED');
  const viaProxy = await getFrom(`${base}/v1/health`, '127.0.0.1', { 'x-forwarded-for': '127.0.0.2' });
  assert.is(viaProxy.status, 403);
  const ok = await getFrom(`${base}/v1/info`, '127.0.0.1');
  assert.is(ok.status, 200);
  const info = JSON.parse(ok.body) as { geoip: { date: string; inUse: boolean } };
  assert.equal(
    { ...info, geoip: undefined },
    { name: 'itrade', version: '0.1.0', region: 'eu-test', geoip: undefined },
  );
  assert.match(info.geoip.date, /^\d{4}-\d{2}-\d{2}$/, 'the country database date');
  assert.is(info.geoip.inUse, false);
  const outside = await getFrom(`${base}/v1/info`, '127.0.0.3', { 'x-forwarded-for': '127.0.0.2' });
  assert.is(outside.status, 200);
});

test('every refusal is counted by reason', async () => {
  const m = await scrape(gw.operatorPort!);
  assert.is(sample(m, 'itrade_broker_connect_refused_total', { reason: 'sovereignty_denied', connack: 5 }), 3);
  assert.is(sample(m, 'itrade_http_refused_total', { reason: 'sovereignty_denied' }), 2);
  assert.is(sample(m, 'itrade_http_requests_total', { status: 403 }), 2);
});

test.run();
