// What a buyer checks on every reading it decrypted: the AES-GCM tag already proved it came
// sealed with the sensor's key, unchanged; here the sequence shows lost, repeated or reordered
// entries (docs/envelope.md: +1 per reading, back to 0 with a later ts on a device restart), the
// type must be the sensor's on-chain type, and the delay from the device clock is measured.
import type { Reading } from '../sdk/node.ts';

export interface StreamTotals {
  decrypted: number;
  /** Readings missing between two received ones. */
  gaps: number;
  duplicates: number;
  restarts: number;
  wrongType: number;
  /** Envelopes that did not open, by error code (tampered, no key, ...). */
  failed: Record<string, number>;
}

const LATENCY_SAMPLES = 10_000;

export class StreamCheck {
  readonly totals: StreamTotals = { decrypted: 0, gaps: 0, duplicates: 0, restarts: 0, wrongType: 0, failed: {} };
  /** Every seq seen, in order of arrival (kept only when asked for, e.g. by tests). */
  readonly seqs: number[] | undefined;
  private last: Reading | undefined;
  private readonly latencies: number[] = [];
  private seen = 0;

  constructor(
    private readonly expectedType?: number,
    keepSeqs = false,
  ) {
    this.seqs = keepSeqs ? [] : undefined;
  }

  /** Records one decrypted reading; returns what it says about the stream. */
  accept(r: Reading, latencyMs: number): 'ok' | 'gap' | 'duplicate' | 'restart' | 'wrong-type' {
    const t = this.totals;
    t.decrypted++;
    this.seqs?.push(r.seq);
    this.sample(latencyMs);
    if (this.expectedType !== undefined && r.type !== this.expectedType) {
      t.wrongType++;
      return 'wrong-type';
    }
    const last = this.last;
    this.last = r;
    if (!last || r.seq === last.seq + 1) return 'ok';
    if (r.seq > last.seq + 1) {
      t.gaps += r.seq - last.seq - 1;
      return 'gap';
    }
    if (r.seq === 0 && r.ts > last.ts) {
      t.restarts++;
      return 'restart';
    }
    this.last = last; // a repeat does not move the stream on
    t.duplicates++;
    return 'duplicate';
  }

  fail(code: string): void {
    this.totals.failed[code] = (this.totals.failed[code] ?? 0) + 1;
  }

  get failures(): number {
    return Object.values(this.totals.failed).reduce((a, b) => a + b, 0);
  }

  get lastSeq(): number | undefined {
    return this.last?.seq;
  }

  // Reservoir sampling: a fixed-size, unbiased sample of every latency seen.
  private sample(ms: number): void {
    this.seen++;
    if (this.latencies.length < LATENCY_SAMPLES) this.latencies.push(ms);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < LATENCY_SAMPLES) this.latencies[i] = ms;
    }
  }

  latency(): number[] {
    return this.latencies;
  }
}

/** The p-th percentile (0..100) of the samples, or undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
