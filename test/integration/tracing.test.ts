// Tracing on a real gateway (Redis, Kafka, anvil), spans caught by the SDK's in-memory exporter:
// one PUBLISH is one connected trace with the Kafka write and the buyer's delivery inside it, and
// the record in Kafka carries its traceparent; a SUBSCRIBE traces the entitlement check and the
// chain call, and its log lines carry the trace id; HTTP and GraphQL requests continue the trace
// of an incoming W3C traceparent.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { captureLog } from '../helpers/bridge-fakes.ts';
import { connectMqtt, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const exporter = new InMemorySpanExporter();
const { log, lines } = captureLog();
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let buyer: Account;
let sensor: string;
let unpaid: string;
const prefix = `${unique('trc')}.`;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  ({ sensor } = await market.sensor(seller));
  ({ sensor: unpaid } = await market.sensor(seller));
  await market.subscribe(buyer, sensor, 5);
  gw = await testGateway(
    {
      marketplace: market.address,
      fromBlock: market.deployBlock,
      topicPrefix: prefix,
      tracing: { enabled: true, samplingRatio: 1 },
    },
    { traceExporter: exporter, log },
  );
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const named = (name: string, traceId?: string) =>
  spans().filter((s) => s.name === name && (!traceId || s.spanContext().traceId === traceId));

async function connect(clientId: string, password: string) {
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, { clientId, username: clientId, password });
  assert.is(c.returnCode, 0);
  return c.client;
}

async function recordHeaders(topic: string): Promise<Record<string, string>> {
  const consumer = new Kafka({ brokers: svc.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: unique('g'),
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const headers = await new Promise<Record<string, string>>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) =>
        resolve(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))),
    });
  });
  await consumer.disconnect();
  return headers;
}

test('one PUBLISH: one trace with authorisation, the Kafka write and the delivery to the buyer', async () => {
  const dev = await connect(sensor, (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token);
  const buy = await connect(
    buyer.principal,
    (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
  );
  const got: Buffer[] = [];
  buy.on('message', (_t, p) => got.push(p));
  await buy.subscribeAsync(sensorTopic(sensor), { qos: 1 });
  const payload = Buffer.from('01a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f', 'hex');
  await dev.publishAsync(sensorTopic(sensor), payload, { qos: 1 });
  await waitFor('the live delivery', () => got.length === 1);

  const publish = await waitFor('the publish span', () => named('mqtt.publish').find((s) => !parentOf(s)));
  const traceId = publish.spanContext().traceId;
  const deliver = await waitFor('the delivery span', () => named('mqtt.deliver', traceId)[0]);
  const inTrace = spans().filter((s) => s.spanContext().traceId === traceId);
  const children = ['publish.authorise', 'bridge.queue', 'kafka.append', 'mqtt.deliver'];
  for (const name of children) {
    const s = inTrace.filter((x) => x.name === name);
    assert.is(s.length, 1, `one ${name} span`);
    assert.is(parentOf(s[0]!), publish.spanContext().spanId, `${name} is a child of the publish`);
  }
  assert.is(deliver.attributes['messaging.client.id'], buyer.principal);
  assert.is(publish.attributes['messaging.destination.name'], sensorTopic(sensor));
  const append = inTrace.find((s) => s.name === 'kafka.append')!;
  assert.ok(append.duration[0] * 1e9 + append.duration[1] > 0, 'the Kafka write took time');
  // The record carries the publish's context: a deliverer reading the log continues the trace.
  const headers = await recordHeaders(`${prefix}${sensor}`);
  assert.is(headers.traceparent, `00-${traceId}-${publish.spanContext().spanId}-01`);
  await dev.endAsync();
  await buy.endAsync();
});

test('SUBSCRIBE: the entitlement check and the chain call in its trace; its log lines carry the trace id', async () => {
  const buy = await connect(
    buyer.principal,
    (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
  );
  assert.equal(await subscribeAck(buy, [sensorTopic(unpaid)]), [128], 'refused: not paid for');
  const sub = await waitFor('the subscribe span', () =>
    named('mqtt.subscribe').find((s) => s.attributes['itrade.sensor'] === unpaid),
  );
  const traceId = sub.spanContext().traceId;
  const check = await waitFor('the entitlement check', () => named('entitlement.check', traceId)[0]);
  assert.is(parentOf(check), sub.spanContext().spanId);
  const chain = named('chain.call', traceId);
  assert.ok(chain.length >= 1, 'a chain call in the subscribe trace');
  assert.ok(chain.some((c) => parentOf(c) === check.spanContext().spanId));
  assert.is(sub.status.code, 2, 'a refused subscribe is an error span');
  const line = lines.find((l) => l.msg === 'subscription refused' && l.sensor === unpaid);
  assert.ok(line, 'the refusal is logged');
  assert.is(line!.traceId, traceId);
  await buy.endAsync();
});

test('HTTP and GraphQL requests continue an incoming traceparent', async () => {
  const traceId = 'abcdef0123456789abcdef0123456789';
  const parent = '0123456789abcdef';
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const headers = { traceparent: `00-${traceId}-${parent}-01`, 'content-type': 'application/json' };
  const info = await fetch(`${base}/v1/info`, { headers });
  assert.is(info.status, 200);
  const http = await waitFor('the HTTP span', () => named('GET /v1/info', traceId)[0]);
  assert.is(parentOf(http), parent);
  assert.is(http.attributes['http.response.status_code'], 200);

  const gql = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: 'query Probe { __typename }' }),
  });
  assert.is(gql.status, 200);
  const post = await waitFor('the GraphQL span', () => named('POST /graphql', traceId)[0]);
  assert.is(parentOf(post), parent);
  assert.is(post.attributes['graphql.operation.name'], 'Probe');
  const exec = await waitFor('the execution span', () => named('graphql.execute', traceId)[0]);
  assert.is(parentOf(exec), post.spanContext().spanId);
});

test.run();
