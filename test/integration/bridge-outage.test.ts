// Kafka dies while devices publish QoS 1 through the bridge, and comes back. Devices behave
// as MQTT 3.1.1 clients do: a window of unacknowledged publishes, and after a refusal (the
// broker withholds the PUBACK and closes the connection) they reconnect and send every
// unacknowledged message again, in order [MQTT-4.4.0-1]. Afterwards each sensor topic holds
// every message exactly once, in order, and the bridge never buffered beyond its bound.
// This test runs its own Kafka (LocalStack, temp dir, free port) so the shared one stays up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createKafkaBridge } from '../../bridge/bridge.ts';
import { createKafkaClients } from '../../bridge/kafka/client.ts';
import { KafkaLogStore } from '../../bridge/kafka/store.ts';
import { validateConfig } from '../../config/load.ts';
import { createLogger } from '../../lib/log.ts';
import { LocalStack } from '../../stack/stack.ts';
import { FakeChannel, FakeEntitlements, FakeMeter, address, captureLog, publish } from '../helpers/bridge-fakes.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const SENSORS = 8;
const COUNT = 500; // messages per device
const WINDOW = 16; // unacknowledged publishes per device (MQTT receive window)
const MAX_ENTRIES = 64; // bridge buffer: far below 8 x 16, so the outage hits the limit

class Device {
  readonly acked = new Set<number>();
  refusals = 0;

  constructor(
    readonly sensor: string,
    private readonly send: (sensor: string, payload: Buffer) => Promise<void>,
  ) {}

  static payload(seq: number): Buffer {
    const b = Buffer.alloc(40, seq & 255);
    b.writeUInt32BE(seq, 0);
    return b;
  }

  async run(): Promise<void> {
    while (this.acked.size < COUNT) {
      let first = 0;
      while (this.acked.has(first)) first++;
      if ((await this.burst(first)) === 'refused') await sleep(100); // reconnect
    }
  }

  // Sliding window from `from`; on a refusal, stop sending new ones and let the rest settle.
  private burst(from: number): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      let next = from;
      let inflight = 0;
      let refused = false;
      const pump = () => {
        while (!refused && inflight < WINDOW && next < COUNT) {
          const seq = next++;
          if (this.acked.has(seq)) continue;
          inflight++;
          this.send(this.sensor, Device.payload(seq))
            .then(
              () => void this.acked.add(seq),
              () => ((refused = true), this.refusals++),
            )
            .finally(() => {
              inflight--;
              if (inflight === 0 && (refused || next >= COUNT)) resolve(refused ? 'refused' : 'done');
              else pump();
            });
        }
        if (inflight === 0) resolve(refused ? 'refused' : 'done');
      };
      pump();
    });
  }
}

test('Kafka killed under QoS 1 publishes, restarted: every acked message in Kafka exactly once, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-outage-'));
  const stackCfg = validateConfig(
    {
      redis: { url: svc.redisUrl },
      chain: { rpcUrl: svc.rpcUrl },
      stack: { dir, startTimeoutMs: 120_000, kafka: { port: 0, controllerPort: 0 } },
    },
    'outage stack',
  );
  const stack = new LocalStack(stackCfg, createLogger({ level: 'silent' }));
  const cap = captureLog();
  const registry = new Registry();
  try {
    const up = await stack.up();
    assert.ok(
      up.every((s) => s.healthy),
      JSON.stringify(up),
    );
    const brokers = stack.endpoints().kafkaBrokers;
    const cfg = validateConfig(
      {
        bridge: {
          topicPrefix: `${unique('out')}.`,
          buffer: { maxEntries: MAX_ENTRIES, highWaterPercent: 50 },
          producer: { stallWarnMs: 500, retryMaxMs: 500 },
        },
      },
      'outage',
    );
    const bridge = createKafkaBridge(cfg, brokers, {
      entitlements: new FakeEntitlements(),
      meter: new FakeMeter(),
      channel: new FakeChannel(),
      registry,
      log: cap.log,
    });
    const devices = Array.from(
      { length: SENSORS },
      () => new Device(address(), (sensor, payload) => bridge.onPublish(publish(sensor, payload, 1))),
    );
    for (const d of devices) await bridge.onSensorActivated(d.sensor);
    const acked = () => devices.reduce((n, d) => n + d.acked.size, 0);
    const buffered = async () =>
      (await registry.getSingleMetric('itrade_bridge_buffer_entries')!.get()).values[0]!.value;

    const running = Promise.all(devices.map((d) => d.run()));
    while (acked() < 600) await sleep(10);
    let maxBuffered = 0;
    const sampler = setInterval(() => void buffered().then((n) => (maxBuffered = Math.max(maxBuffered, n))), 20);
    await stack.down();
    const ackedWhileDown = acked();
    // Down long enough that the bridge noticed and its buffer filled: publishes were refused.
    const refusals = () => devices.reduce((n, d) => n + d.refusals, 0);
    const outage = () => cap.lines.some((l) => l.msg === 'kafka unavailable: buffering, then refusing');
    for (const t0 = Date.now(); !(outage() && refusals() > 0); await sleep(20))
      if (Date.now() - t0 > 60_000) assert.unreachable('the bridge neither noticed the outage nor refused');
    assert.is(acked(), ackedWhileDown, 'nothing is acknowledged while Kafka is down');
    await stack.up();
    // An unref'd deadline: it must not keep the process alive once the devices are done.
    await Promise.race([
      running,
      sleep(120_000, undefined, { ref: false }).then(() =>
        assert.unreachable(`only ${acked()} acknowledged 2 min after Kafka returned`),
      ),
    ]);
    clearInterval(sampler);
    await bridge.close();

    // Every device got every message acknowledged; Kafka has each exactly once, in order.
    const clients = createKafkaClients(
      { brokers, clientId: unique('out-check'), retryInitialMs: 100, retryMaxMs: 1000, requestTimeoutMs: 30_000 },
      createLogger({ level: 'silent' }),
    );
    const store = new KafkaLogStore(clients, createLogger({ level: 'silent' }), { requestTimeoutMs: 30_000 });
    let total = 0;
    for (const d of devices) {
      const seqs: number[] = [];
      for (let off = 0; ;) {
        const got = await store.read(`${cfg.bridge.topicPrefix}${d.sensor}`, 0, off, {
          maxBytes: 1 << 20,
          maxRecords: 10_000,
        });
        if (got.length === 0) break;
        for (const r of got) {
          assert.ok(r.value.equals(Device.payload(r.value.readUInt32BE(0))), 'bytes changed');
          seqs.push(r.value.readUInt32BE(0));
        }
        off = got.at(-1)!.offset + 1;
      }
      assert.equal(
        seqs,
        Array.from({ length: COUNT }, (_, i) => i),
        `sensor ${d.sensor}: ${seqs.length} entries, not 0..${COUNT - 1} once each in order`,
      );
      total += seqs.length;
    }
    await store.close();
    const refused = devices.reduce((n, d) => n + d.refusals, 0);
    const metric = async (name: string) =>
      (await registry.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);
    console.log(
      `outage: ${acked()} acknowledged, ${total} in Kafka (exactly once), ${ackedWhileDown} before the stop, ` +
        `${refused} refusals resent, buffer peak ${maxBuffered}/${MAX_ENTRIES}, producer restarts ` +
        `${await metric('itrade_bridge_producer_restarts_total')}`,
    );
    assert.is(total, SENSORS * COUNT);
    assert.is(acked(), SENSORS * COUNT);
    assert.ok(refused > 0, 'the outage never reached the buffer limit');
    assert.ok(maxBuffered <= MAX_ENTRIES, `buffer reached ${maxBuffered}`);
    assert.is(await metric('itrade_bridge_refused_total'), refused);
    assert.ok(
      cap.lines.some((l) => l.msg === 'kafka unavailable: buffering, then refusing'),
      'no outage warning logged',
    );
    assert.ok(cap.lines.some((l) => l.msg === 'kafka available again: draining the backlog in order'));
  } finally {
    await stack.down();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
