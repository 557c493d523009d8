// Writes a benchmark's results: result.json (everything), result.md (the tables a person reads)
// and latency.svg (per-second percentiles of every streaming run), under results/<timestamp>/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePath } from '../lib/paths.ts';
import type { MachineInfo } from './machine.ts';
import { lineChartSvg, type Series } from './plot.ts';
import type { StreamResult } from './stream.ts';

export interface NamedRun {
  scenario: string;
  target: string;
  run: StreamResult;
}

export interface BenchResult {
  startedAt: string;
  machine: MachineInfo;
  options: Record<string, unknown>;
  runs: NamedRun[];
  /** Scenario-specific figures (max rate, connections, entitlements, replay). */
  figures: Record<string, Record<string, number | string>>;
  goals: { goal: string; measured: string; met: boolean }[];
  notes: string[];
}

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');

export function markdown(r: BenchResult): string {
  const m = r.machine;
  const out = [
    `# ITrade benchmark, ${r.startedAt}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Kafka ${m.kafka}; ` +
      `load average at start ${m.loadAverage1m}.`,
    'Redis, Kafka and the chain ran on the same machine as the gateway and the load generators.',
    '',
    '## Streaming runs',
    '',
    "Latency is measured from each message's scheduled send time (open loop), in ms.",
    '',
    '| scenario | target | offered msg/s | sent | delivered/expected | e2e p50 | p90 | p99 | max | PUBACK p50 | ' +
      'p99 | target CPU (cores) | CPU µs per delivered | target RSS MiB | load generators CPU, all (busiest) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { scenario, target, run: x } of r.runs) {
    out.push(
      `| ${scenario} | ${target} | ${x.offeredRate} | ${x.sent} | ${x.delivered}/${x.expected} ` +
        `(${pct(x.deliveredRatio)}) | ${f(x.e2e.p50)} | ${f(x.e2e.p90)} | ${f(x.e2e.p99)} | ${f(x.e2e.max)} | ` +
        `${f(x.puback.p50)} | ${f(x.puback.p99)} | ${f(x.target.cpuCores)} | ${f(x.target.cpuUsPerDelivered, 1)} | ` +
        `${f(x.target.peakRssBytes / 2 ** 20, 0)} | ` +
        `${x.generators ? `${f(x.generators.totalCores)} (${f(x.generators.maxCores)})` : '-'} |`,
    );
  }
  for (const [name, figs] of Object.entries(r.figures)) {
    out.push('', `## ${name}`, '', '| figure | value |', '| --- | --- |');
    for (const [k, v] of Object.entries(figs)) out.push(`| ${k} | ${typeof v === 'number' ? f(v) : v} |`);
  }
  if (r.goals.length) {
    out.push('', '## Goals', '', '| goal | measured | met |', '| --- | --- | --- |');
    for (const g of r.goals) out.push(`| ${g.goal} | ${g.measured} | ${g.met ? 'yes' : 'NO'} |`);
  }
  if (r.notes.length) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}

export function latencySvg(r: BenchResult): string {
  const series: Series[] = [];
  for (const { scenario, target, run } of r.runs) {
    series.push({ label: `${scenario}/${target} p99`, points: run.series.map((s) => ({ x: s.second, y: s.p99 })) });
    series.push({ label: `${scenario}/${target} p50`, points: run.series.map((s) => ({ x: s.second, y: s.p50 })) });
  }
  return lineChartSvg(
    'Publish-to-buyer latency per second',
    'seconds into the run',
    'latency (ms, log scale)',
    series.slice(0, 16),
  );
}

export function writeResults(r: BenchResult, dir = 'results'): string {
  const out = resolvePath(join(dir, r.startedAt.replace(/[:.]/g, '-')));
  mkdirSync(out, { recursive: true });
  // Float64Array series are large and not needed in JSON: keep summaries only.
  writeFileSync(
    join(out, 'result.json'),
    JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2),
  );
  writeFileSync(join(out, 'result.md'), markdown(r));
  writeFileSync(join(out, 'latency.svg'), latencySvg(r));
  return out;
}

/** The one line every streaming scenario prints per run: latency, delivery and the target's cost. */
export function runLine(run: StreamResult): string {
  return (
    `e2e p50 ${f(run.e2e.p50)} p90 ${f(run.e2e.p90)} p99 ${f(run.e2e.p99)} max ${f(run.e2e.max)} ms; PUBACK p99 ` +
    `${f(run.puback.p99)} ms; delivered ${run.delivered}/${run.expected}; CPU ${f(run.target.cpuCores)} cores = ` +
    `${f(run.target.cpuUsPerDelivered, 1)} µs per delivered, RSS ${f(run.target.peakRssBytes / 2 ** 20, 0)} MiB; ` +
    `load generators ${f(run.generators.totalCores)} cores (busiest ${f(run.generators.maxCores)})`
  );
}
