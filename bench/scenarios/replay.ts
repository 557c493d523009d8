// Replay throughput: E sealed entries stored in one sensor's Kafka topic, then replayed over MQTT
// to one entitled buyer (docs/replay.md), who acknowledges every half window and decrypts every
// entry. Reports entries per second from request to the `end` message.
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { hrtime } from 'node:process';
import { decodeFrame } from '../../protocol/replay.ts';
import { asBuffer } from '../../lib/bytes.ts';
import { buyerTopic } from '../../protocol/topics.ts';
import { makeCodec } from '../loadgen/codecs.ts';
import { sealed } from '../fleet.ts';
import { LiteClient } from '../mqtt-lite.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

const WINDOW = 1000;

async function fill(
  brokers: string[],
  topic: string,
  sensor: string,
  n: number,
  encode: (seq: number) => Buffer,
): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: 'itrade-bench-fill', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = performance.now();
  try {
    const batch = 5000;
    for (let i = 0; i < n; i += batch) {
      const messages = Array.from({ length: Math.min(batch, n - i) }, (_, k) => ({
        key: sensor,
        value: encode(i + k),
      }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return performance.now() - t0;
}

export async function replay(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const gw = env.gateway!;
  const buyer = fleet.provisioned.buyers[0]!;
  const sensor = buyer.sensors[0]!;
  const device = fleet.buyerDevice[0]!;
  const codec = makeCodec(sealed(fleet));
  const n = ctx.opts.replayEntries;
  ctx.say(`replay: storing ${n} sealed entries in the topic of ${sensor} ...`);
  const fillMs = await fill(env.ep.kafkaBrokers, sensor, sensor, n, (seq) =>
    codec.encode({ schedNs: hrtime.bigint(), device, seq }),
  );
  ctx.say(`  stored in ${(fillMs / 1000).toFixed(1)} s; replaying to one buyer, window ${WINDOW} ...`);

  const c = await LiteClient.connect({
    ...gw.mqtt,
    clientId: `${buyer.principal}:replay`,
    username: buyer.principal,
    password: buyer.token,
  });
  const id = `bench${Date.now().toString(36)}`;
  const topic = buyerTopic(buyer.principal, 'replay', id);
  await c.subscribe([
    { topic, qos: 1 },
    { topic: buyerTopic(buyer.principal, 'replay', 'error'), qos: 1 },
  ]);
  let entries = 0;
  let bad = 0;
  let end: { reason?: string; sent?: number; code?: string } = {};
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const idle = () => setTimeout(() => ((end = { reason: 'bench: 60 s without a message' }), resolve()), 60_000);
    let timer = idle();
    c.on('message', (_t: string, payload: Buffer) => {
      clearTimeout(timer);
      timer = idle();
      const f = decodeFrame(payload);
      if ('control' in f) {
        if (f.control.type === 'end' || f.control.type === 'error') {
          end = f.control as typeof end;
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      entries++;
      try {
        codec.decode(`sensors/${sensor}`, asBuffer(f.entry.payload));
      } catch {
        bad++;
      }
      if (f.entry.seq % (WINDOW / 2) === 0)
        c.publish(`${topic}/ack`, Buffer.from(JSON.stringify({ ack: f.entry.seq })), 1);
    });
    c.publish(
      buyerTopic(buyer.principal, 'replay', 'request'),
      Buffer.from(JSON.stringify({ id, sensor, from: { offset: 0 }, window: WINDOW })),
      1,
    );
  });
  const ms = performance.now() - t0;
  await c.end();
  ctx.say(
    `  ${entries} entries in ${(ms / 1000).toFixed(1)} s = ${Math.round((entries / ms) * 1000)} entries/s ` +
      `(${end.reason ?? end.code}); ${bad} failed to decrypt`,
  );
  ctx.result.figures['replay to one buyer'] = {
    'entries stored (bench fill)': n,
    'fill time, s': fillMs / 1000,
    'entries replayed': entries,
    'replay time, s': ms / 1000,
    'entries per second': (entries / ms) * 1000,
    window: WINDOW,
    'entries that failed to decrypt': bad,
    'end reason': String(end.reason ?? end.code),
  };
}
