// Load-generator child: a group of simulated devices publishing open-loop at a fixed rate.
// Each message is due at startNs + k / rate; latency is measured from that due time, so a
// stall anywhere (generator included) shows up instead of being hidden by coordinated omission.
import { hrtime } from 'node:process';
import { LiteClient } from '../mqtt-lite.ts';
import { makeCodec } from './codecs.ts';
import type { ChildMessage, PublisherJob, PublisherReport } from './protocol.ts';
import { Samples } from '../stats.ts';

function send(msg: ChildMessage): void {
  process.send!(msg);
}

async function run(job: PublisherJob): Promise<PublisherReport> {
  const codec = makeCodec(job.codec);
  const clients = await Promise.all(
    job.devices.map((d) =>
      LiteClient.connect({
        ...(d.endpoint ?? job.endpoint),
        clientId: d.clientId,
        username: d.username,
        password: d.password,
      }),
    ),
  );
  const errors: string[] = [];
  for (const c of clients) c.on('error', (e: Error) => errors.length < 20 && errors.push(e.message));
  // Every device is connected before the schedule starts: connection set-up is measured by the
  // connections scenario, not mixed into steady-state latency.
  const startNs = await new Promise<bigint>((resolve) => {
    process.once('message', (m: { type: 'start'; startNs: string }) => resolve(BigInt(m.startNs)));
    send({ type: 'ready' });
  });
  const intervalNs = BigInt(Math.round(1e9 / job.ratePerDevice));
  // Warm-up messages go out on the same connections but are not counted (subscriber.ts skips them too).
  const measureNs = startNs + BigInt(job.warmupMs) * 1_000_000n;
  const endNs = measureNs + BigInt(job.durationMs) * 1_000_000n;
  // Stagger devices across one interval so 100 devices do not fire in the same millisecond.
  const next = job.devices.map((_, i) => startNs + (intervalNs * BigInt(i)) / BigInt(job.devices.length));
  const seq = job.devices.map(() => 0);
  const sentPerDevice: Record<number, number> = {};
  const ackLat = new Samples();
  let sent = 0;
  let acked = 0;
  let late = 0;

  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = hrtime.bigint();
      for (let i = 0; i < clients.length; i++) {
        while (next[i]! <= now && next[i]! < endNs) {
          const due = next[i]!;
          const dev = job.devices[i]!;
          const counted = due >= measureNs;
          const payload = codec.encode({ schedNs: due, device: dev.index, seq: seq[i]! });
          seq[i]!++;
          if (counted) {
            if (now - due > 10_000_000n) late++;
            sent++;
            sentPerDevice[dev.index] = (sentPerDevice[dev.index] ?? 0) + 1;
          }
          clients[i]!.publish(dev.topic, payload, job.qos, () => {
            if (!counted) return;
            acked++;
            ackLat.add(Number(hrtime.bigint() - due) / 1e6);
          });
          next[i] = due + intervalNs;
        }
      }
      if (now >= endNs) return resolve();
      setTimeout(tick, 1);
    };
    const wait = Number((startNs - hrtime.bigint()) / 1_000_000n);
    setTimeout(
      () => {
        cpu0 = process.cpuUsage();
        wall0 = performance.now();
        tick();
      },
      Math.max(0, wait),
    );
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuCores = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);

  // Give outstanding PUBACKs time to arrive; what never arrives is counted as not acknowledged.
  const deadline = Date.now() + 15_000;
  while (job.qos === 1 && acked < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  return { sent, acked, sentPerDevice, ackLatencies: ackLat.values().slice(), lateSends: late, cpuCores, errors };
}

process.once('message', (job: PublisherJob) => {
  run(job).then(
    (report) => send({ type: 'report', report }),
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
