// How fast the write-through is against a real Kafka: 100-byte payloads from 100 sensors,
// through Bridge.onPublish (batching, idempotent acks=all producer), each publish timed from
// the call until its promise resolved (the delay before the broker may send the PUBACK).
//   npx tsx bench/bridge-throughput.ts [seconds per phase, default 10]
// Kafka: ITRADE_KAFKA_BROKERS, else the project's local stack (npm run stack:up). BENCH_LOG=debug: bridge logs.
// Phases: fixed rates (2,000 and 20,000 msg/s, open loop), then closed loop at full speed.
import { Registry } from 'prom-client';
import { createKafkaBridge } from '../bridge/bridge.ts';
import { loadConfigFile } from '../config/load.ts';
import { configPath } from '../lib/paths.ts';
import { createLogger } from '../lib/log.ts';
import { randomBytes } from 'node:crypto';
import type { AcceptedPublish, BuyerChannel, Entitlements, Meter } from '../interfaces/layers.ts';
import { LocalStack } from '../stack/stack.ts';

const seconds = Number(process.argv[2] ?? 10);
const cfg = loadConfigFile(configPath());
const log = createLogger({ level: (process.env.BENCH_LOG ?? 'warn') as 'warn' });
const brokers = process.env.ITRADE_KAFKA_BROKERS?.split(',') ?? new LocalStack(cfg, log).endpoints().kafkaBrokers;
const bridge = createKafkaBridge(
  { ...cfg, bridge: { ...cfg.bridge, topicPrefix: `bench-${Date.now().toString(36)}.` } },
  brokers,
  { ...noBuyers(), registry: new Registry(), log },
);
const sensors = Array.from({ length: 100 }, () => '0x' + randomBytes(20).toString('hex'));
// Every publish has its own bytes, as envelopes do (fresh nonce): the bridge answers a byte-identical
// QoS 1 publish as a resend of the first (bridge/resends.ts) and would write nothing.
let serial = 0;
function payload(): Buffer {
  const b = Buffer.alloc(100, 7);
  b.writeUInt32BE(serial++ % 2 ** 32, 0);
  return b;
}

// Only the write path runs here: no buyer subscribes or replays, so nothing asks the chain,
// the meter or a buyer's channel. Should anything do so, the bench stops with this error.
function noBuyers(): { entitlements: Entitlements; meter: Meter; channel: BuyerChannel } {
  const unused = (): never => {
    throw new Error('bridge-throughput measures the write path only: nothing may ask for buyers');
  };
  return {
    entitlements: {
      principalOfAccount: unused,
      sensor: unused,
      validSubscriptions: unused,
      onEvent: () => () => undefined,
    },
    meter: { take: unused, remaining: unused },
    channel: { send: unused },
  };
}

function publish(sensor: string, payload: Buffer, qos: 0 | 1): AcceptedPublish {
  return { sensor, payload, qos, receivedAt: Date.now(), clientId: `dev-${sensor.slice(2, 8)}` };
}

function pct(sorted: number[], p: number): string {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(2) : '-';
}

function report(name: string, lat: number[], ms: number, failed: number): void {
  lat.sort((a, b) => a - b);
  const rate = Math.round((lat.length / ms) * 1000).toString();
  console.log(
    `${name.padEnd(22)} ${rate.padStart(7)} msg/s acked   ack latency ms p50 ${pct(lat, 50)}  p99 ${pct(lat, 99)}  ` +
      `p99.9 ${pct(lat, 99.9)}  max ${pct(lat, 100)}  refused ${failed}`,
  );
}

// Open loop: sends on schedule whatever the answers, as independent devices do.
async function fixedRate(rate: number, label = `fixed ${rate} msg/s`): Promise<void> {
  const lat: number[] = [];
  let failed = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const start = performance.now();
      pending.push(
        bridge.onPublish(publish(sensors[sent % sensors.length]!, payload(), 1)).then(
          () => void lat.push(performance.now() - start),
          () => void failed++,
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  report(label, lat, performance.now() - t0, failed);
}

// Closed loop: every sensor keeps `window` publishes unacknowledged (MQTT receive window).
async function fullSpeed(window: number): Promise<void> {
  const lat: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const device = async (sensor: string) => {
    const one = async (): Promise<void> => {
      while (performance.now() < end) {
        const start = performance.now();
        await bridge.onPublish(publish(sensor, payload(), 1)).then(
          () => void lat.push(performance.now() - start),
          () => void failed++,
        );
      }
    };
    await Promise.all(Array.from({ length: window }, one));
  };
  await Promise.all(sensors.map(device));
  report(`full speed (window ${window})`, lat, performance.now() - t0, failed);
}

for (const s of sensors) await bridge.onSensorActivated(s);
// Warm-up, not a result: connections, metadata, JIT, and Kafka still loading the logs of the
// 100 topics it just created (produce latency is erratic for a few seconds after that).
await fixedRate(500, 'warm-up (discard)');
console.log(
  `Kafka ${brokers.join(',')}, ${seconds} s per phase, linger ${cfg.bridge.producer.lingerMs} ms, batch <= ` +
    `${cfg.bridge.producer.maxBatchEntries} entries / ${cfg.bridge.producer.maxBatchBytes} B`,
);
await fixedRate(2000);
await fixedRate(20000);
await fullSpeed(10);
await bridge.close();
