// Delivery from the log while Kafka is away: buyers stream a sensor through a full gateway; the
// gateway's Kafka (a private one, so the shared test stack stays up) is stopped mid-stream and
// started again. The device behaves as an MQTT 3.1.1 client does: a window of unacknowledged
// publishes; once the gateway refuses (no PUBACK, connection closed: publishing backs off) it
// reconnects and sends every unacknowledged one again [MQTT-4.4.0-1]. Some of those were taken
// into the bridge's buffer before the refusal and written once Kafka was back, their PUBACK lost
// with the closed connection: the bridge recognises their copies (bridge/resends.ts), so the log
// holds every acknowledged entry exactly once, every buyer gets each once, in order, and is
// metered exactly the entries it got (docs/broker.md "Kafka away").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { createLogger } from '../../lib/log.ts';
import { sensorTopic } from '../../protocol/topics.ts';
import { LocalStack } from '../../stack/stack.ts';
import { connectMqtt, end, publishAck, subscribeAck, settledValue, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const TOTAL = 400;
const WINDOW = 16;
const BUYERS = 2;
const PAID = 10 * TOTAL;

/** A device with a window of QoS 1 publishes that reconnects and resends after a refusal. */
class Device {
  readonly acked = new Set<number>();
  /** Entries sent more than once (unacknowledged when a connection closed). */
  readonly resent = new Set<number>();
  private readonly sent = new Set<number>();
  refusals = 0;
  private client: MqttClient | undefined;

  constructor(
    private readonly topic: string,
    private readonly connect: () => Promise<MqttClient>,
  ) {}

  async run(until: () => number): Promise<void> {
    for (;;) {
      let first = 0;
      while (this.acked.has(first)) first++;
      if (first >= until()) return;
      this.client ??= await this.connect().catch(() => undefined);
      if (!this.client) {
        await sleep(200); // the gateway is refusing connections too: try again
        continue;
      }
      if ((await this.burst(this.client, first, until())) === 'refused') {
        this.refusals++;
        await end(this.client);
        this.client = undefined;
        await sleep(100);
      }
    }
  }

  async close(): Promise<void> {
    await end(this.client);
  }

  private async burst(c: MqttClient, from: number, to: number): Promise<'done' | 'refused'> {
    let next = from;
    let refused = false;
    const lane = async () => {
      while (!refused && next < to) {
        const seq = next++;
        if (this.acked.has(seq)) continue;
        if (this.sent.has(seq)) this.resent.add(seq);
        this.sent.add(seq);
        if ((await publishAck(c, this.topic, String(seq))) === 'acked') this.acked.add(seq);
        else refused = true;
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
    return refused ? 'refused' : 'done';
  }
}

test('Kafka stopped and started mid-stream: every acknowledged entry once, in order, metered once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-kafka-outage-'));
  const stack = new LocalStack(
    validateConfig(
      {
        redis: { url: svc.redisUrl },
        chain: { rpcUrl: svc.rpcUrl },
        stack: { dir, startTimeoutMs: 120_000, kafka: { port: 0, controllerPort: 0 } },
      },
      'kafka outage stack',
    ),
    createLogger({ level: 'silent' }),
  );
  const market = await Market.deploy(svc.rpcUrl);
  let gw: GatewayHandle | undefined;
  const clients: MqttClient[] = [];
  let device: Device | undefined;
  try {
    assert.ok((await stack.up()).every((s) => s.healthy));
    gw = await testGateway({
      marketplace: market.address,
      fromBlock: market.deployBlock,
      kafkaBrokers: stack.endpoints().kafkaBrokers,
      // A buffer smaller than the device's window, so the outage reaches the refusal.
      bridge: { buffer: { maxEntries: 8 }, producer: { stallWarnMs: 500, retryMaxMs: 500 } },
    });
    const g = gw;
    const url = `mqtt://127.0.0.1:${g.mqtt.tcp}`;
    const seller = await market.principal('seller');
    const { sensor } = await market.sensor(seller);
    const topic = sensorTopic(sensor);
    const got: string[][] = [];
    const buyers: string[] = [];
    for (let i = 0; i < BUYERS; i++) {
      const b = await market.principal(`buyer${i}`);
      buyers.push(b.principal);
      await market.subscribe(b, sensor, PAID);
      const c = await connectMqtt(url, {
        clientId: b.principal,
        username: b.principal,
        password: (await g.tokens.issuePrincipal(b.principal, b.wallet.address, 600)).token,
      });
      clients.push(c.client);
      const mine: string[] = [];
      got.push(mine);
      c.client.on('message', (t, p) => t === topic && mine.push(p.toString()));
      assert.equal(await subscribeAck(c.client, [topic]), [1]);
    }
    const token = (await g.tokens.issueSensor(sensor, seller.principal, 600)).token;
    device = new Device(topic, async () => {
      const c = await connectMqtt(url, { clientId: sensor, username: sensor, password: token });
      if (c.returnCode !== 0) throw (await end(c.client), new Error(`CONNACK ${c.returnCode}`));
      c.client.setMaxListeners(0); // publishAck listens for 'close' once per publish in the window
      return c.client;
    });
    const d = device;

    let limit = TOTAL / 4;
    await d.run(() => limit);
    await waitFor('every buyer has the first quarter', () => got.every((x) => x.length >= TOTAL / 4), 30_000);

    const before = d.refusals; // a burst may also outrun the small buffer while Kafka is up
    await stack.down(); // Kafka only: Redis and the chain are the shared stack's
    limit = TOTAL;
    const during = d.run(() => limit);
    await waitFor('the gateway refused a publish while Kafka is down', () => d.refusals > before, 90_000);
    assert.ok((await stack.up()).every((s) => s.healthy));
    await during;
    assert.is(d.acked.size, TOTAL, 'every entry acknowledged to the device');

    // The scenario bites: entries taken before the refusal were sent again by the device.
    assert.ok(d.resent.size > 0, 'the device sent no entry twice: the outage did not test resends');

    const want = Array.from({ length: TOTAL }, (_, i) => String(i));
    const last = String(TOTAL - 1);
    await waitFor('every buyer has the last entry', () => got.every((x) => x.includes(last)), 120_000);
    assert.is(await g.bridge!.logEnd(sensor), TOTAL, 'the log holds each acknowledged entry once');
    for (const [i, x] of got.entries()) {
      // Counting follows the buyer's PUBACKs: wait until all it got is counted, then compare.
      const metered = async () => PAID - (await g.meter.remaining(buyers[i]!, sensor));
      await settledValue(metered, x.length);
      assert.equal(x, want, `buyer ${i}: every acknowledged entry exactly once, in order`);
      assert.is(await metered(), TOTAL, `buyer ${i}: metered the entries it got, each once`);
    }
    const recognised = (await g.bridge!.metrics.resendsRecognised.get()).values[0]?.value ?? 0;
    console.log(
      `kafka outage: ${TOTAL} acknowledged, ${d.refusals} refusal(s), ${d.resent.size} resent, ` +
        `${recognised} recognised as copies; ${BUYERS} buyers complete, each metered ${TOTAL}`,
    );
  } finally {
    await device?.close();
    await end(...clients);
    await gw?.close();
    market.close();
    await stack.down();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
