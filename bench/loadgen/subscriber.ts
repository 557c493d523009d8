// Load-generator child: a group of simulated buyers, each subscribed to its topics. Records the
// latency from the publisher's scheduled send time to delivery (after decryption for the sealed
// codec), and which (device, seq) arrived, so delivered/sent is exact.
import { hrtime } from 'node:process';
import { LiteClient } from '../mqtt-lite.ts';
import { makeCodec } from './codecs.ts';
import type { ChildMessage, SubscriberJob, SubscriberReport } from './protocol.ts';
import { Samples } from '../stats.ts';

function send(msg: ChildMessage): void {
  process.send!(msg);
}

let report: () => SubscriberReport;
let count: () => number = () => 0;
let startNs = 0n;
let cpu0 = process.cpuUsage();
let wall0 = performance.now();

async function run(job: SubscriberJob): Promise<void> {
  const codec = makeCodec(job.codec);
  const lat = new Samples();
  const at = new Samples();
  const seen = job.buyers.map(() => new Set<number>());
  const errors: string[] = [];
  let received = 0;
  let duplicates = 0;
  const clients = await Promise.all(
    job.buyers.map(async (b, bi) => {
      const c = await LiteClient.connect({
        ...(b.endpoint ?? job.endpoint),
        clientId: b.clientId,
        username: b.username,
        password: b.password,
      });
      c.on('error', (e: Error) => errors.length < 20 && errors.push(e.message));
      c.on('message', (topic: string, payload: Buffer) => {
        const now = hrtime.bigint();
        let stamp;
        try {
          stamp = codec.decode(topic, payload);
        } catch (e) {
          if (errors.length < 20) errors.push(`decode: ${(e as Error).message}`);
          return;
        }
        if (stamp.schedNs < startNs) return; // a warm-up message
        received++;
        const key = stamp.device * 4_294_967_296 + stamp.seq;
        if (seen[bi]!.has(key)) return void duplicates++;
        seen[bi]!.add(key);
        lat.add(Number(now - stamp.schedNs) / 1e6);
        at.add(Number(now - startNs) / 1e6);
      });
      const granted = await c.subscribe(b.topics.map((topic) => ({ topic, qos: job.qos })));
      if (granted.some((g) => g === 0x80)) errors.push(`${b.clientId}: subscription refused`);
      return c;
    }),
  );
  count = () => received;
  report = () => {
    for (const c of clients) c.destroy();
    const cpu = process.cpuUsage(cpu0);
    const cpuCores = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
    return {
      cpuCores,
      received,
      duplicates,
      receivedPerBuyer: seen.map((s) => s.size),
      latencies: lat.values().slice(),
      recvOffsetsMs: at.values().slice(),
      errors,
    };
  };
  send({ type: 'ready' });
}

process.on(
  'message',
  (msg: SubscriberJob | { type: 'start'; startNs: string } | { type: 'stop' } | { type: 'count' }) => {
    if ('role' in msg) {
      run(msg).catch((err: unknown) =>
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
      );
    } else if (msg.type === 'start') {
      startNs = BigInt(msg.startNs);
      cpu0 = process.cpuUsage();
      wall0 = performance.now();
    } else if (msg.type === 'count') {
      send({ type: 'count', received: count() });
    } else if (msg.type === 'stop') {
      send({ type: 'report', report: report() });
    }
  },
);
