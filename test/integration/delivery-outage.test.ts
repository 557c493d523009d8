// Delivery from the log while Redis is away: the gateway's own Redis (a private one, so the
// shared test stack stays up) is stopped mid-stream and started again. Live delivery of the
// entries within the lease goes on while it is down; afterwards nothing paid for is missing and
// nothing beyond N is delivered or counted (docs/broker.md, "Redis away").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { createLogger } from '../../lib/log.ts';
import { LocalStack } from '../../stack/stack.ts';
import { connectMqtt, end, publishAck, subscribeAck, testGateway, waitFor } from '../helpers/gateway.ts';
import { Market } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const N = 250;

test('Redis stopped mid-stream and started again: delivery goes on, exactly N in all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-redis-outage-'));
  const stack = new LocalStack(
    validateConfig(
      {
        kafka: { brokers: svc.kafkaBrokers },
        chain: { rpcUrl: svc.rpcUrl },
        stack: { dir, startTimeoutMs: 60_000, redis: { port: 0, appendOnly: true } },
      },
      'redis outage stack',
    ),
    createLogger({ level: 'silent' }),
  );
  const market = await Market.deploy(svc.rpcUrl);
  let gw: GatewayHandle | undefined;
  const clients: MqttClient[] = [];
  try {
    assert.ok((await stack.up()).every((s) => s.healthy));
    const redisUrl = stack.endpoints().redisUrl;
    gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, redisUrl });
    const seller = await market.principal('seller');
    const buyer = await market.principal('buyer');
    const { sensor } = await market.sensor(seller);
    await market.subscribe(buyer, sensor, N);
    const url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
    const b = await connectMqtt(url, {
      clientId: buyer.principal,
      username: buyer.principal,
      password: (await gw.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
    });
    const dev = await connectMqtt(url, {
      clientId: sensor,
      username: sensor,
      password: (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token,
    });
    clients.push(b.client, dev.client);
    const got: string[] = [];
    b.client.on('message', (t, p) => t.startsWith('sensors/') && got.push(p.toString()));
    assert.equal(await subscribeAck(b.client, [`sensors/${sensor}`]), [1]);
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) assert.is(await publishAck(dev.client, `sensors/${sensor}`, String(i)), 'acked');
    };
    await publish(0, 100);
    await waitFor('100 delivered before the outage', () => got.length === 100);

    await stack.down(); // Redis only: Kafka and the chain are the shared stack's
    await publish(100, 200);
    await waitFor('100 more delivered while Redis is down', () => got.length === 200, 30_000);

    assert.ok((await stack.up()).every((s) => s.healthy));
    await publish(200, 2 * N);
    await waitFor('the paid N delivered', () => got.length >= N, 60_000);
    let counted = await gw.meter.used(buyer.principal, sensor);
    for (let i = 0; i < 2400 && counted < N; i++) {
      await new Promise((r) => setTimeout(r, 25));
      counted = await gw.meter.used(buyer.principal, sensor);
    }
    assert.is(counted, N, 'counted exactly N');
    assert.equal(
      got,
      Array.from({ length: N }, (_, i) => String(i)),
      'the first N, in order, none twice',
    );
  } finally {
    await end(...clients);
    await gw?.close();
    market.close();
    await stack.down();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
