// "From now" on the real Kafka and Redis (docs/broker.md, "Starting from now"): history published
// before a buyer subscribes is delivered by default, and skipped, uncounted, when the buyer first
// publishes to buyers/<own>/from-now/<sensor>. Raw MQTT 3.1.1, as any client would do it.
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { fromNowTopic, sensorTopic } from '../../protocol/topics.ts';
import { connectMqtt, end, publishAck, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const N = 100;
const HISTORY = 20;
const LIVE = 10;

test('history is delivered by default and skipped, uncounted, with from-now', async () => {
  const market = await Market.deploy(svc.rpcUrl);
  let gw: GatewayHandle | undefined;
  const clients: MqttClient[] = [];
  try {
    gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock });
    const g = gw;
    const url = `mqtt://127.0.0.1:${g.mqtt.tcp}`;
    const seller = await market.principal('seller');
    const [fromStart, fromNow] = [await market.principal('buyer'), await market.principal('buyer')];
    const { sensor } = await market.sensor(seller);
    for (const b of [fromStart, fromNow]) await market.subscribe(b, sensor, N);
    const dev = await connectMqtt(url, {
      clientId: sensor,
      username: sensor,
      password: (await g.tokens.issueSensor(sensor, seller.principal, 600)).token,
    });
    clients.push(dev.client);
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) assert.is(await publishAck(dev.client, sensorTopic(sensor), String(i)), 'acked');
    };
    const buyer = async (b: Account) => {
      const c = await connectMqtt(url, {
        clientId: b.principal,
        username: b.principal,
        password: (await g.tokens.issuePrincipal(b.principal, b.wallet.address, 600)).token,
      });
      clients.push(c.client);
      const got: string[] = [];
      c.client.on('message', (t, p) => t === sensorTopic(sensor) && got.push(p.toString()));
      return { client: c.client, got };
    };
    await publish(0, HISTORY);

    const a = await buyer(fromStart);
    const b = await buyer(fromNow);
    // The PUBACK comes once the cursor is at the log's end.
    assert.is(await publishAck(b.client, fromNowTopic(fromNow.principal, sensor), ''), 'acked');
    assert.equal(await subscribeAck(a.client, [sensorTopic(sensor)]), [1]);
    assert.equal(await subscribeAck(b.client, [sensorTopic(sensor)]), [1]);
    await publish(HISTORY, HISTORY + LIVE);

    await waitFor('the default buyer has history and live', () => a.got.length >= HISTORY + LIVE, 30_000);
    await waitFor('the from-now buyer has the live entries', () => b.got.includes(String(HISTORY + LIVE - 1)), 30_000);
    const seq = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));
    assert.equal(a.got, seq(0, HISTORY + LIVE), 'default: history then live, in order, none twice');
    // Delivery is in log order, so history would have come before the last live entry.
    assert.equal(b.got, seq(HISTORY, HISTORY + LIVE), 'from now: only what was published after');
    // Counted once the last PUBACK's advance is in the store: poll it (bounded), then compare.
    const counted = async (p: string, want: number) => {
      let n = await g.meter.used(p, sensor);
      for (let i = 0; i < 1200 && n < want; i++) {
        await new Promise((r) => setTimeout(r, 25));
        n = await g.meter.used(p, sensor);
      }
      return n;
    };
    assert.is(await counted(fromStart.principal, HISTORY + LIVE), HISTORY + LIVE, 'default: every entry counted');
    assert.is(await counted(fromNow.principal, LIVE), LIVE, 'from now: skipped entries are not counted');

    // Without a subscription to the sensor the skip is refused: no PUBACK, the connection closes.
    const other = await market.principal('stranger');
    const stranger = await buyer(other);
    assert.is(await publishAck(stranger.client, fromNowTopic(other.principal, sensor), ''), 'closed');
  } finally {
    await end(...clients);
    await gw?.close();
    market.close();
  }
});

test.run();
