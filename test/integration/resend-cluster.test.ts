// Issue 14: a device's QoS 1 resend is stored once even when it reaches another gateway instance,
// or arrives after the instance's local resend window. Two gateways share Redis, Kafka (one topic
// prefix) and the chain; the device is an MQTT.js client with the SDK's outgoing store (resends
// carry DUP, sdk/resend-store.ts) behind a balancer that sends each new connection to the next
// instance. Its PUBACKs are lost on a dying link after the instance stored the publishes; it
// reconnects to the other instance and sends them again; that instance finds them in the log
// (bridge/resend-check.ts) and acknowledges them without writing. The log holds every entry
// once, a buyer on the other instance gets each once, in order, and is metered each once.
import { randomBytes } from 'node:crypto';
import { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { sensorTopic } from '../../protocol/topics.ts';
import { ResendMarkingStore } from '../../sdk/resend-store.ts';
import { connectMqtt, end, subscribeAck, settledValue, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market } from '../helpers/market.ts';
import { Balancer } from '../helpers/proxy.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const PAID = 100;

async function lookups(g: GatewayHandle, result: string): Promise<number> {
  return (await g.bridge!.metrics.resendLookups.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
}

test('resends on another instance and after the local window: stored, delivered and metered once', async () => {
  const market = await Market.deploy(svc.rpcUrl);
  const o = {
    marketplace: market.address,
    fromBlock: market.deployBlock,
    keyPrefix: `${unique('resend')}:`,
    topicPrefix: `${unique('t')}.`,
    // Two written entries remembered per instance: the second resend below is older than that.
    bridge: { buffer: { resendWindow: 2 } },
  };
  const a = await testGateway(o);
  const b = await testGateway(o);
  let device: MqttClient | undefined;
  let buyerClient: MqttClient | undefined;
  try {
    const seller = await market.principal('seller');
    const { sensor } = await market.sensor(seller);
    const topic = sensorTopic(sensor);
    const buyer = await market.principal('buyer');
    await market.subscribe(buyer, sensor, PAID);
    const bc = await connectMqtt(`mqtt://127.0.0.1:${a.mqtt.tcp}`, {
      clientId: `${buyer.principal}:buyer`,
      username: buyer.principal,
      password: (await a.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
    });
    buyerClient = bc.client;
    const got: string[] = [];
    bc.client.on('message', (t, p) => t === topic && got.push(p.toString('hex')));
    assert.equal(await subscribeAck(bc.client, [topic]), [1]);

    // Connection 1 to A, 2 and 3 to B.
    const balancer = new Balancer([a.mqtt.tcp!, b.mqtt.tcp!, b.mqtt.tcp!]);
    const store = new ResendMarkingStore();
    const token = (await a.tokens.issueSensor(sensor, seller.principal, 600)).token;
    const d = (device = new MqttClient(balancer.stream, {
      protocolVersion: 4,
      clientId: sensor,
      username: sensor,
      password: token,
      clean: true,
      reconnectPeriod: 100,
      outgoingStore: store,
    }));
    store.watch(d);
    d.on('error', () => undefined);
    await new Promise((ok) => d.once('connect', ok));
    const e = Array.from({ length: 9 }, () => randomBytes(100)); // envelope-sized, each unique
    const puback = 4; // bytes of an MQTT 3.1.1 PUBACK: the only thing an instance sends the device here

    await d.publishAsync(topic, e[0]!, { qos: 1 });
    // A stores e1 and acknowledges it (after Kafka did); the PUBACK is lost; the device
    // reconnects, through B, and sends e1 again with DUP.
    balancer.loseReplies();
    const e1 = d.publishAsync(topic, e[1]!, { qos: 1 });
    await waitFor("A's PUBACK of e1, lost", () => balancer.lostBytes >= puback);
    balancer.cut();
    await e1; // B's PUBACK to the resend
    assert.is(balancer.connections, 2, 'the resend went through B');
    for (const x of e.slice(2, 5)) await d.publishAsync(topic, x, { qos: 1 });

    // On B: e5's PUBACK is lost; e6 and e7 are acknowledged, so B remembers only them (window 2)
    // when e5 comes again on the next connection, to B.
    balancer.loseReplies();
    const e5 = d.publishAsync(topic, e[5]!, { qos: 1 });
    await waitFor("B's PUBACK of e5, lost", () => balancer.lostBytes >= puback);
    balancer.hearReplies();
    for (const x of e.slice(6, 8)) await d.publishAsync(topic, x, { qos: 1 });
    balancer.cut();
    await e5;
    assert.is(balancer.connections, 3);
    // Everything the feed delivers before e8 was delivered before it: e8 arriving is the sync.
    await d.publishAsync(topic, e[8]!, { qos: 1 });
    const last = e[8]!.toString('hex');
    await waitFor('the buyer has e8', () => got.includes(last));

    assert.is(await a.bridge!.logEnd(sensor), 9, 'the log holds each entry once');
    assert.equal(
      got,
      e.map((x) => x.toString('hex')),
      'the buyer got each entry once, in order',
    );
    const metered = () => a.meter.remaining(buyer.principal, sensor).then((r) => PAID - r);
    assert.is(await settledValue(metered, 9), 9, 'metered each entry once');
    assert.is(await lookups(b, 'found'), 2, "B found e1 (A's) and e5 (beyond its window) in the log");
    assert.is(await lookups(b, 'failed'), 0);
    assert.is((await lookups(a, 'found')) + (await lookups(a, 'absent')), 0, 'A saw no resend');
    const recognised = (await b.bridge!.metrics.resendsRecognised.get()).values[0]?.value ?? 0;
    assert.is(recognised, 2, 'e1 and e5, both from the log');
  } finally {
    await end(device, buyerClient);
    await a.close();
    await b.close();
    market.close();
  }
});

test.run();
