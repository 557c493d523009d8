// SIGTERM during a publish storm loses nothing acknowledged. `itrade gateway` runs in a child
// process; devices publish QoS 1 as fast as the gateway acknowledges (a window in flight each);
// mid-storm the gateway gets SIGTERM and must exit 0. Then Kafka is read: every message whose
// PUBACK a device received is there. (Messages in Kafka without a PUBACK are allowed: the device
// resends them, at least once.)
//
// Publishes are provably in flight at the signal, however busy the machine: the child holds
// Kafka's acknowledgements back on request (test/helpers/hold-acks.ts), the test waits until it
// reports a batch written and held, sends SIGTERM, waits for the shutdown to start, and only then
// lets the acknowledgements through.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sensorTopic } from '../../protocol/topics.ts';
import { fromRoot } from '../../lib/paths.ts';
import { connectMqtt, testConfig, waitFor } from '../helpers/gateway.ts';
import { testTokens } from '../helpers/gateway-cluster.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const DEVICES = 4;
const WINDOW = 64;
let market: Market;
let seller: Account;
let sensors: string[] = [];
const prefix = `${unique('stop')}.`;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  for (let i = 0; i < DEVICES; i++) sensors.push((await market.sensor(seller)).sensor);
});

test.after(() => market?.close());

interface Gateway {
  proc: ChildProcess;
  tcp: number;
  logs: { msg: string; [k: string]: unknown }[];
  /** Batches whose Kafka acknowledgement the child holds back (entries each). */
  held: number[];
  exited: Promise<number | null>;
}

function startGatewayProcess(): Promise<Gateway> {
  const cfg = JSON.parse(
    JSON.stringify(testConfig({ marketplace: market.address, fromBlock: market.deployBlock, topicPrefix: prefix })),
  ) as Record<string, Record<string, unknown>>;
  cfg.log = { level: 'info' };
  const file = join(mkdtempSync(join(tmpdir(), 'itrade-stop-')), 'gateway.json');
  writeFileSync(file, JSON.stringify(cfg)); // JSON is YAML
  const hold = fromRoot('test', 'helpers', 'hold-acks.ts');
  const args = ['--import', 'tsx', '--import', hold, fromRoot('bin', 'itrade.mjs'), 'gateway', '--config', file];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const held: number[] = [];
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    const m = /^\{"held":(\d+)\}$/.exec(line);
    if (m) held.push(Number(m[1]));
    else process.stderr.write(`${line}\n`);
  });
  const logs: Gateway['logs'] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway not started in 90 s')), 90_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Gateway['logs'][number];
      logs.push(entry);
      if (entry.msg !== 'gateway started') return;
      clearTimeout(timer);
      resolve({ proc, tcp: (entry.mqtt as { tcp: number }).tcp, logs, held, exited });
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it started`)));
  });
}

/** Publishes QoS 1 with up to WINDOW unacknowledged, until stopped or disconnected. */
function storm(client: MqttClient, sensor: string, acked: Set<string>): { sent: () => number; stop: () => void } {
  let n = 0;
  let inFlight = 0;
  let stopped = false;
  const pump = (): void => {
    while (!stopped && client.connected && inFlight < WINDOW) {
      const payload = `${sensor}:${n++}`;
      inFlight++;
      client.publish(sensorTopic(sensor), payload, { qos: 1 }, (err) => {
        inFlight--;
        if (!err) acked.add(payload);
        setImmediate(pump);
      });
    }
  };
  pump();
  return { sent: () => n, stop: () => (stopped = true) };
}

async function readAll(topics: string[]): Promise<Set<string>> {
  const kafka = new Kafka({ brokers: svc.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let total = 0;
  for (const t of topics) total += Number((await admin.fetchTopicOffsets(t))[0]!.high);
  await admin.disconnect();
  const stored = new Set<string>();
  const consumer = kafka.consumer({ groupId: unique('g') });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  const done = new Promise<void>(
    (resolve) =>
      void consumer.run({
        eachMessage: async ({ message }) => void (stored.add(message.value!.toString()), ++seen === total && resolve()),
      }),
  );
  if (total > 0) await done;
  await consumer.disconnect();
  return stored;
}

test('SIGTERM mid-storm: exit 0, and every acknowledged message is in Kafka', async () => {
  const gw = await startGatewayProcess();
  const tokens = await testTokens();
  const acked = new Set<string>();
  const devices = await Promise.all(
    sensors.map(async (s) => {
      const c = await connectMqtt(`mqtt://127.0.0.1:${gw.tcp}`, {
        clientId: s,
        username: s,
        password: (await tokens.issueSensor(s, seller.principal, 600)).token,
      });
      assert.is(c.returnCode, 0);
      return { client: c.client, storm: storm(c.client, s, acked) };
    }),
  );
  await waitFor('a storm under way', () => acked.size >= 2000, 60_000);
  gw.proc.kill('SIGUSR2'); // hold Kafka's acknowledgements back
  await waitFor('a batch written to Kafka and its acknowledgement held', () => gw.held.length > 0, 60_000);
  const t0 = Date.now();
  gw.proc.kill('SIGTERM');
  const shutdownStarted = 'shutting down: listeners closed, finishing in-flight publishes';
  await waitFor('the shutdown started', () => gw.logs.some((l) => l.msg === shutdownStarted), 60_000);
  gw.proc.kill('SIGUSR2'); // let them through: the drain finishes
  const code = await gw.exited;
  const shutdownMs = Date.now() - t0;
  for (const d of devices) d.storm.stop();
  const sent = devices.reduce((n, d) => n + d.storm.sent(), 0);
  for (const d of devices) d.client.end(true);

  assert.is(code, 0, 'graceful exit code');
  const msgs = gw.logs.map((l) => l.msg);
  for (const m of [
    'signal received: shutting down gracefully (send it again to force)',
    'shutting down: listeners closed, finishing in-flight publishes',
    'gateway stopped',
  ])
    assert.ok(msgs.includes(m), `log: ${m}`);

  // The signal came mid-storm: publishes were inside the gateway, waiting for Kafka.
  const inFlight = gw.logs.find((l) => l.msg === shutdownStarted)!.inFlight as number;
  assert.ok(inFlight >= gw.held[0]!, `publishes in flight at the signal: ${inFlight}, held ${gw.held[0]}`);
  const stored = await readAll(sensors.map((s) => `${prefix}${s}`));
  const lost = [...acked].filter((p) => !stored.has(p));
  console.log(
    `storm: ${sent} sent, ${inFlight} in flight at SIGTERM, ${acked.size} acknowledged, ${stored.size} in Kafka ` +
      `(${stored.size - acked.size} stored without PUBACK), shutdown ${shutdownMs} ms`,
  );
  assert.equal(lost, [], 'acknowledged but not in Kafka');
  assert.ok(acked.size >= 2000);
});

test.run();
