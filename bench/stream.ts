// One streaming run: devices publish open-loop through a target broker to buyers, from separate
// load-generator processes. Returns exact latency percentiles and delivered/sent.
import { fork, type ChildProcess } from 'node:child_process';
import { hrtime } from 'node:process';
import { fromRoot } from '../lib/paths.ts';
import type {
  BuyerSpec,
  ChildMessage,
  CodecSpec,
  DeviceSpec,
  Endpoint,
  PublisherReport,
  SubscriberReport,
} from './loadgen/protocol.ts';
import { watchProcs, type ProcsUsage } from './procstat.ts';
import { Samples, perSecond, summarize, type Summary } from './stats.ts';

export interface StreamSpec {
  endpoint: Endpoint;
  targetPid: number;
  /** Every process of the target when it is more than one (several gateway instances); default [targetPid]. */
  targetPids?: number[];
  devices: DeviceSpec[];
  buyers: BuyerSpec[];
  /** index into devices for each buyer's topic, to compute delivered/sent */
  buyerDevice: number[];
  ratePerDevice: number;
  qos: 0 | 1;
  durationMs: number;
  /** load on the same connections before the measured part, not counted (default 0) */
  warmupMs?: number;
  codec: CodecSpec;
  publisherProcs?: number;
  subscriberProcs?: number;
}

export interface StreamResult {
  offeredRate: number;
  sent: number;
  acked: number;
  expected: number;
  delivered: number;
  deliveredRatio: number;
  duplicates: number;
  lateSends: number;
  e2e: Summary;
  puback: Summary;
  series: { second: number; p50: number; p99: number; max: number; count: number }[];
  /**
   * The target's processes over the measured part: CPU in cores and in µs per delivered message
   * (what a given fleet needs in cores), peak RSS summed over its processes.
   */
  target: { cpuCores: number; peakRssBytes: number; cpuUsPerDelivered: number };
  /** CPU of the busiest load-generator process and of all of them, in cores */
  generators: { maxCores: number; totalCores: number };
  errors: string[];
}

function child(file: string): ChildProcess {
  // BENCH_LOADGEN_PROF=<dir>: CPU profiles of the load generators, to check they are not the bottleneck.
  const prof = process.env.BENCH_LOADGEN_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_LOADGEN_PROF}`] : [];
  return fork(fromRoot('bench', 'loadgen', file), [], {
    execArgv: ['--import', 'tsx', ...prof],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next(c: ChildProcess, type: 'ready' | 'report' | 'count'): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: ChildMessage) => {
      if (m.type === 'error') reject(new Error(m.message));
      else if (m.type === type) resolve(m);
      else return;
      c.off('message', onMsg);
      c.off('exit', onExit);
    };
    // Removed once answered: the count is asked for many times.
    const onExit = (code: number | null) => reject(new Error(`load generator exited (${code}) before '${type}'`));
    c.on('message', onMsg);
    c.once('exit', onExit);
  });
}

// Deliveries can trail the PUBACKs by seconds under overload: wait until the subscribers' counts
// stop moving (1.5 s without a new message, at most 30 s) before counting what never came.
async function deliveriesSettled(subs: ChildProcess[]): Promise<void> {
  const total = async () =>
    (await Promise.all(subs.map((s) => (s.send({ type: 'count' }), next(s, 'count'))))).reduce(
      (n, m) => n + (m as { received: number }).received,
      0,
    );
  const deadline = Date.now() + 30_000;
  let last = -1;
  for (let n = await total(); n !== last && Date.now() < deadline; n = await total()) {
    last = n;
    await new Promise((r) => setTimeout(r, 1500));
  }
}

function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: Math.max(1, Math.min(parts, items.length)) }, () => []);
  items.forEach((it, i) => out[i % out.length]!.push(it));
  return out;
}

export async function runStream(spec: StreamSpec): Promise<StreamResult> {
  const children: ChildProcess[] = [];
  try {
    return await streamWith(spec, children);
  } finally {
    // On success they are done; on a failure (a refused CONNECT) they would keep the bench alive.
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

async function streamWith(spec: StreamSpec, children: ChildProcess[]): Promise<StreamResult> {
  const buyerGroups = split(
    spec.buyers.map((b, i) => ({ b, i })),
    spec.subscriberProcs ?? 2,
  );
  const subs = buyerGroups.map(() => child('subscriber.ts'));
  children.push(...subs);
  buyerGroups.forEach((g, k) =>
    subs[k]!.send({
      role: 'subscriber',
      endpoint: spec.endpoint,
      buyers: g.map((x) => x.b),
      qos: spec.qos,
      codec: spec.codec,
    }),
  );
  await Promise.all(subs.map((s) => next(s, 'ready')));

  const deviceGroups = split(spec.devices, spec.publisherProcs ?? 2);
  const pubs = deviceGroups.map(() => child('publisher.ts'));
  children.push(...pubs);
  const warmupMs = spec.warmupMs ?? 0;
  deviceGroups.forEach((g, k) =>
    pubs[k]!.send({
      role: 'publisher',
      endpoint: spec.endpoint,
      devices: g,
      ratePerDevice: spec.ratePerDevice,
      qos: spec.qos,
      warmupMs,
      durationMs: spec.durationMs,
      codec: spec.codec,
    }),
  );
  await Promise.all(pubs.map((p) => next(p, 'ready')));
  const startNs = hrtime.bigint() + 200_000_000n; // every process has the start time before it comes
  const measureNs = startNs + BigInt(warmupMs) * 1_000_000n;
  subs.forEach((s) => s.send({ type: 'start', startNs: String(measureNs) }));
  pubs.forEach((p) => p.send({ type: 'start', startNs: String(startNs) }));
  await new Promise((r) => setTimeout(r, 200 + warmupMs));
  const watch = watchProcs(spec.targetPids ?? [spec.targetPid]);
  const pubReports = (await Promise.all(pubs.map((p) => next(p, 'report')))).map(
    (m) => (m as { report: PublisherReport }).report,
  );
  const target = watch.stop();
  await deliveriesSettled(subs);
  // Under overload deliveries trail the publishers by seconds: the CPU they cost counts too.
  const untilSettled = watch.stop();
  const subReports = await Promise.all(subs.map((s) => (s.send({ type: 'stop' }), next(s, 'report'))));
  return combine(
    spec,
    pubReports,
    subReports.map((m) => (m as { report: SubscriberReport }).report),
    buyerGroups,
    { ...target, cpuSeconds: untilSettled.cpuSeconds },
  );
}

function combine(
  spec: StreamSpec,
  pubs: PublisherReport[],
  subs: SubscriberReport[],
  groups: { b: BuyerSpec; i: number }[][],
  usage: ProcsUsage,
): StreamResult {
  const sentPerDevice: Record<number, number> = {};
  for (const p of pubs)
    for (const [d, n] of Object.entries(p.sentPerDevice))
      sentPerDevice[Number(d)] = (sentPerDevice[Number(d)] ?? 0) + n;
  let expected = 0;
  let delivered = 0;
  subs.forEach((s, k) =>
    groups[k]!.forEach(({ i }, j) => {
      expected += sentPerDevice[spec.devices[spec.buyerDevice[i]!]!.index] ?? 0;
      delivered += s.receivedPerBuyer[j] ?? 0;
    }),
  );
  const lat = new Samples();
  const times = new Samples();
  const acks = new Samples();
  for (const s of subs) {
    lat.addAll(s.latencies);
    times.addAll(s.recvOffsetsMs);
  }
  for (const p of pubs) acks.addAll(p.ackLatencies);
  const series = perSecond(times.values(), lat.values(), 0).map(({ second, summary }) => ({
    second,
    p50: summary.p50,
    p99: summary.p99,
    max: summary.max,
    count: summary.count,
  }));
  const sent = pubs.reduce((n, p) => n + p.sent, 0);
  const cores = [...pubs, ...subs].map((r) => r.cpuCores);
  return {
    offeredRate: spec.ratePerDevice * spec.devices.length,
    sent,
    acked: pubs.reduce((n, p) => n + p.acked, 0),
    expected,
    delivered,
    deliveredRatio: expected === 0 ? Number.NaN : delivered / expected,
    duplicates: subs.reduce((n, s) => n + s.duplicates, 0),
    lateSends: pubs.reduce((n, p) => n + p.lateSends, 0),
    e2e: summarize(lat.values()),
    puback: summarize(acks.values()),
    series,
    target: {
      cpuCores: usage.cpuCores,
      peakRssBytes: usage.peakRssBytes,
      cpuUsPerDelivered: delivered > 0 ? (usage.cpuSeconds * 1e6) / delivered : Number.NaN,
    },
    generators: { maxCores: Math.max(...cores), totalCores: cores.reduce((a, b) => a + b, 0) },
    errors: [...pubs.flatMap((p) => p.errors), ...subs.flatMap((s) => s.errors)].slice(0, 20),
  };
}
