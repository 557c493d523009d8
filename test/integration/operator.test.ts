// The operator endpoint of a running gateway: /healthz, /readyz (and 503 naming the service
// that does not answer), and metrics that move when traffic flows: connections by role,
// publishes in, deliveries out, metered entries, refusals by reason, chain RPC and cache, Kafka
// writes, replay throughput and HTTP requests, all scraped from /metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { freePort } from '../../stack/ports.ts';
import { connectMqtt, end, publishAck, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { services } from '../helpers/services.ts';

const svc = services();
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let buyer: Account;
let sensor: string;
const N = 12;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  ({ sensor } = await market.sensor(seller));
  await market.subscribe(buyer, sensor, 100);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock });
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

test('/healthz answers while the process lives; /readyz checks Redis, Kafka and the chain', async () => {
  const health = await fetch(`http://127.0.0.1:${gw.operatorPort}/healthz`);
  assert.is(health.status, 200);
  assert.is(((await health.json()) as { status: string }).status, 'ok');
  const ready = await fetch(`http://127.0.0.1:${gw.operatorPort}/readyz`);
  const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
  assert.is(ready.status, 200, JSON.stringify(body));
  assert.equal(Object.keys(body.checks).sort(), ['chain', 'kafka', 'redis']);
  assert.ok(Object.values(body.checks).every((c) => c.ok));
  assert.match(body.checks.chain!.detail, new RegExp(`marketplace ${market.address}`));
  // The public API does not serve them.
  assert.is((await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).status, 404);
});

test('/readyz answers 503 and names the chain when the node does not answer', async () => {
  const deadRpc = `http://127.0.0.1:${await freePort()}`;
  const down = await testGateway({ marketplace: market.address, rpcUrl: deadRpc, operator: { readyTimeoutMs: 500 } });
  try {
    const res = await fetch(`http://127.0.0.1:${down.operatorPort}/readyz`);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { ok: boolean }>;
      error: { code: string; message: string };
    };
    assert.is(res.status, 503);
    assert.equal([body.checks.redis!.ok, body.checks.kafka!.ok, body.checks.chain!.ok], [true, true, false]);
    assert.is(body.error.code, 'ITRADE_ERR_GATEWAY_NOT_READY');
    assert.is(body.error.message, 'not answering: chain');
  } finally {
    await down.close();
  }
});

test('/readyz names Kafka when no broker answers', async () => {
  const healthy = await testGateway({ marketplace: market.address, operator: { readyTimeoutMs: 500 } });
  const deadKafka = await testGateway({
    marketplace: market.address,
    operator: { readyTimeoutMs: 500 },
    kafkaBrokers: [`127.0.0.1:${await freePort()}`],
  });
  try {
    const res = await fetch(`http://127.0.0.1:${deadKafka.operatorPort}/readyz`);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean }>; error: { message: string } };
    assert.is(res.status, 503);
    assert.equal([body.checks.redis!.ok, body.checks.kafka!.ok, body.checks.chain!.ok], [true, false, true]);
    assert.is(body.error.message, 'not answering: kafka');
    assert.is(
      (await fetch(`http://127.0.0.1:${healthy.operatorPort}/readyz`)).status,
      200,
      'the same configuration with Kafka up is ready',
    );
  } finally {
    await Promise.all([healthy.close(), deadKafka.close()]);
  }
});

test('metrics move when traffic flows', async () => {
  const url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  const before = await scrape(gw.operatorPort!);
  const dev = await connectMqtt(url, {
    clientId: sensor,
    username: sensor,
    password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
  });
  const buy = await connectMqtt(url, {
    clientId: buyer.principal,
    username: buyer.principal,
    password: (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
  });
  const bad = await connectMqtt(url, { clientId: sensor, username: sensor, password: 'not-a-jwt' });
  assert.equal([dev.returnCode, buy.returnCode, bad.returnCode], [0, 0, 4]);
  const live: string[] = [];
  buy.client.on('message', (t, p) => t === sensorTopic(sensor) && live.push(p.toString()));
  assert.equal(await subscribeAck(buy.client, [sensorTopic(sensor), 'sensors/+']), [1, 128]);
  const during = await scrape(gw.operatorPort!);
  assert.is(sample(during, 'itrade_broker_connections', { role: 'sensor' }), 1);
  assert.is(sample(during, 'itrade_broker_connections', { role: 'principal' }), 1);

  for (let i = 0; i < N; i++) assert.is(await publishAck(dev.client, sensorTopic(sensor), `m${i}`), 'acked');
  await waitFor(`${N} live entries`, () => live.length === N);
  const history = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/sensors/${sensor}/history?offset=0&limit=5`, {
    headers: {
      authorization: `Bearer ${(await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token}`,
    },
  });
  assert.is(history.status, 200);
  await history.text();

  const after = await scrape(gw.operatorPort!);
  const delta = (name: string, labels: Record<string, string | number> = {}) =>
    sample(after, name, labels) - sample(before, name, labels);
  assert.is(delta('itrade_broker_connects_total', { role: 'sensor' }), 1);
  assert.is(delta('itrade_broker_connect_refused_total', { reason: 'auth_token_invalid', connack: 4 }), 1);
  assert.is(delta('itrade_broker_publishes_total', { role: 'sensor', qos: 1 }), N);
  assert.is(delta('itrade_broker_deliveries_total', { kind: 'sensor_data' }), N);
  assert.is(delta('itrade_broker_metered_entries_total'), N);
  assert.is(delta('itrade_broker_subscribe_refused_total', { reason: 'acl' }), 1);
  assert.is(delta('itrade_bridge_written_entries_total'), N);
  assert.ok(delta('itrade_bridge_kafka_write_seconds_count') >= 1, 'Kafka write latency observed');
  assert.is(delta('itrade_bridge_replay_entries_total', { channel: 'http' }), 5);
  assert.ok(
    delta('itrade_chain_rpc_calls_total', { method: 'eth_call', outcome: 'ok' }) >= 1,
    'chain RPC calls counted',
  );
  assert.ok(delta('itrade_chain_rpc_seconds_count', { method: 'eth_call' }) >= 1, 'chain RPC latency observed');
  assert.ok(
    delta('itrade_chain_cache_misses_total', { kind: 'sensor' }) >= 1,
    'first look-up of the sensor asks the chain',
  );
  assert.ok(delta('itrade_chain_cache_hits_total') >= 1, 'a second look-up is served from the cache');
  assert.is(
    delta('itrade_http_requests_total', { method: 'GET', route: '/v1/sensors/:sensor/history', status: 200 }),
    1,
  );
  assert.ok(sample(after, 'itrade_process_cpu_seconds_total') > 0, 'process metrics are there too');
  await end(dev.client, buy.client, bad.client);
});

test.run();
