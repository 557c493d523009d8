// What `itrade sim` prints: a progress line per interval (counts and rates), one line per
// decrypted reading in demo mode, and the final verdict: did every buyer decrypt, unchanged and
// in order, every reading the devices had acknowledged?
import type { BuyerReading, SimBuyer } from './buyer.ts';
import { SENSOR_TYPES, type ReplayOutcome } from '../sdk/node.ts';
import type { SimDevice } from './device.ts';
import { percentile } from './verify.ts';

export interface SimTotals {
  sent: number;
  acked: number;
  publishFailed: number;
  heldBack: number;
  live: number;
  replayed: number;
  failed: number;
  gaps: number;
  duplicates: number;
  latencies: number[];
}

export function totals(devices: readonly SimDevice[], buyers: readonly SimBuyer[]): SimTotals {
  const t: SimTotals = {
    sent: 0,
    acked: 0,
    publishFailed: 0,
    heldBack: 0,
    live: 0,
    replayed: 0,
    failed: 0,
    gaps: 0,
    duplicates: 0,
    latencies: [],
  };
  for (const d of devices) {
    t.sent += d.stats.sent;
    t.acked += d.stats.acked;
    t.publishFailed += d.stats.failed;
    t.heldBack += d.stats.heldBack;
  }
  for (const b of buyers) {
    for (const [source, checks] of Object.entries(b.checks)) {
      for (const c of checks.values()) {
        if (source === 'live') {
          t.live += c.totals.decrypted;
          t.latencies.push(...c.latency());
        } else t.replayed += c.totals.decrypted;
        t.failed += c.failures;
        t.gaps += c.totals.gaps;
        t.duplicates += c.totals.duplicates;
      }
    }
  }
  return t;
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)} ms`);

/** One progress line: totals, and rates over the time since the previous line. */
export class Progress {
  private last = { at: Date.now(), sent: 0, live: 0 };

  constructor(private readonly t0: number) {}

  line(t: SimTotals, devices: number, buyers: number, keyId: number): string {
    const now = Date.now();
    const sec = Math.max(0.001, (now - this.last.at) / 1000);
    const rate = (n: number, was: number) => ((n - was) / sec).toFixed(1);
    const s =
      `[${String(Math.round((now - this.t0) / 1000)).padStart(4)} s] ` +
      `devices ${devices}: sent ${t.sent} (${rate(t.sent, this.last.sent)}/s) acked ${t.acked} | ` +
      `buyers ${buyers}: live ${t.live} (${rate(t.live, this.last.live)}/s) replayed ${t.replayed} failed ` +
      `${t.failed} gaps ${t.gaps} | ` +
      `latency p50 ${ms(percentile(t.latencies, 50))} p99 ${ms(percentile(t.latencies, 99))} | key ${keyId}`;
    this.last = { at: now, sent: t.sent, live: t.live };
    return s;
  }
}

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

export function readingLine(r: BuyerReading, buyerName: string): string {
  const type = SENSOR_TYPES[r.reading.type as keyof typeof SENSOR_TYPES]?.name ?? `type ${r.reading.type}`;
  const time = new Date(r.reading.ts).toISOString().slice(11, 23);
  return (
    `${time}  ${buyerName} <- ${short(r.sensor)} ${type.padEnd(15)} #${String(r.reading.seq).padEnd(5)} ` +
    `${String(r.reading.value).padStart(7)} ${r.reading.unit.padEnd(6)} key ${r.keyId}  ${ms(r.latencyMs)}`
  );
}

export interface PairReplay {
  buyer: string;
  sensor: string;
  outcome?: ReplayOutcome;
  error?: string;
}

export interface Verdict {
  ok: boolean;
  problems: string[];
  notes: string[];
}

/**
 * Every buyer must have decrypted, for each of its sensors, exactly the readings the device had
 * acknowledged (same count, no gap, nothing that failed to open), unless the gateway said its paid
 * entries ran out; every replay must have opened all it covered, in order.
 */
export function verify(
  devices: ReadonlyMap<string, SimDevice>,
  buyers: readonly SimBuyer[],
  replays: readonly PairReplay[],
): Verdict {
  const problems: string[] = [];
  const notes: string[] = [];
  for (const b of buyers) {
    for (const [sensor, c] of b.checks.live) {
      const acked = devices.get(sensor)?.stats.acked ?? 0;
      const where = `buyer ${short(b.buyer)}, sensor ${short(sensor)}`;
      for (const [code, n] of Object.entries(c.totals.failed))
        problems.push(`${where}: ${n} live entries not decrypted (${code})`);
      if (c.totals.gaps > 0) problems.push(`${where}: ${c.totals.gaps} live readings missing between others`);
      if (c.totals.wrongType > 0) problems.push(`${where}: ${c.totals.wrongType} readings of another sensor type`);
      if (c.totals.duplicates > 0)
        notes.push(`${where}: ${c.totals.duplicates} live readings delivered twice (QoS 1 resend)`);
      const got = c.totals.decrypted - c.totals.duplicates;
      if (b.exhausted(sensor)) notes.push(`${where}: paid entries used up after ${got} live readings`);
      else if (got !== acked)
        problems.push(`${where}: decrypted ${got} live readings, the device had ${acked} acknowledged`);
    }
  }
  for (const r of replays) {
    const where = `replay by ${short(r.buyer)} of ${short(r.sensor)}`;
    if (r.error) problems.push(`${where}: ${r.error}`);
    const c = buyers.find((b) => b.buyer === r.buyer)?.checks.replay.get(r.sensor);
    if (!r.outcome || !c) continue;
    for (const [code, n] of Object.entries(c.totals.failed))
      problems.push(`${where}: ${n} entries not decrypted (${code})`);
    if (c.totals.gaps > 0) problems.push(`${where}: ${c.totals.gaps} readings missing between others`);
    const covered = (r.outcome.end ?? 0) - (r.outcome.from ?? 0);
    if (r.outcome.reason === 'caught-up' && r.outcome.entries !== covered)
      problems.push(`${where}: ${r.outcome.entries} entries of the ${covered} announced`);
    if (r.outcome.reason === 'paid-limit')
      notes.push(`${where}: stopped at the paid limit after ${r.outcome.entries} entries`);
  }
  return { ok: problems.length === 0, problems, notes };
}

export function reportLines(t: SimTotals, v: Verdict, devices: number, buyers: number): string[] {
  const failed = t.publishFailed ? `, ${t.publishFailed} failed` : '';
  const heldBack = t.heldBack ? `, ${t.heldBack} held back (too many unacknowledged)` : '';
  const lines = [
    `devices: ${devices}, sent ${t.sent} readings, ${t.acked} acknowledged by the gateway${failed}${heldBack}`,
    `buyers: ${buyers}, decrypted ${t.live} live and ${t.replayed} replayed readings, ${t.failed} not ` +
      `decrypted, ${t.gaps} missing, ${t.duplicates} repeated`,
    `latency (device clock to decrypted at the buyer): p50 ${ms(percentile(t.latencies, 50))}, p99 ` +
      `${ms(percentile(t.latencies, 99))}`,
    ...v.notes.map((n) => `note: ${n}`),
    ...v.problems.map((p) => `PROBLEM: ${p}`),
    v.ok
      ? 'verified: every acknowledged reading was decrypted and checked by every buyer entitled to it'
      : `NOT verified: ${v.problems.length} problem(s)`,
  ];
  return lines;
}
