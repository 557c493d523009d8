// Latency samples and their summary. Samples are kept whole (a 60 s run at 20,000 msg/s is
// 1.2 M doubles, ~10 MB) so percentiles are exact, not bucketed.

export class Samples {
  private buf: Float64Array;
  private n = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Float64Array(capacity);
  }

  add(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }

  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i]!);
  }

  get count(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile on a sorted copy. Empty input gives NaN everywhere, never 0. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: n ? sorted[n - 1]! : Number.NaN,
    mean: n ? sum / n : Number.NaN,
  };
}

/** Per-second buckets of (time, latency) pairs: the series the latency plot draws. */
export function perSecond(
  times: ArrayLike<number>,
  latencies: ArrayLike<number>,
  t0: number,
): { second: number; summary: Summary }[] {
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < times.length; i++) {
    const s = Math.floor((times[i]! - t0) / 1000);
    let b = buckets.get(s);
    if (!b) buckets.set(s, (b = []));
    b.push(latencies[i]!);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([second, v]) => ({ second, summary: summarize(v) }));
}
