// What the tracing scenario needs around the gateway's spans: a minimal OTLP/HTTP (JSON) receiver
// in the bench process (the gateway exports to it exactly as to Jaeger or Tempo), and the
// breakdown of each publish's trace into stages, like the paper's Istio table (paper V): which
// stage contributed how much to the P50, P90 and P99 publish.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { summarize, type Summary } from './stats.ts';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** ms, from the epoch (ns precision lost beyond the float's). */
  start: number;
  end: number;
}

interface OtlpJson {
  resourceSpans?: { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let me: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        me?.take(JSON.parse(body.toString('utf8')) as OtlpJson);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    me = new OtlpReceiver(server, `http://127.0.0.1:${port}/v1/traces`);
    return me;
  }

  clear(): void {
    this.spans.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private take(body: OtlpJson): void {
    for (const rs of body.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            traceId: String(s.traceId),
            spanId: String(s.spanId),
            parentSpanId: String(s.parentSpanId ?? ''),
            name: String(s.name),
            start: Number(BigInt(String(s.startTimeUnixNano)) / 1000n) / 1000,
            end: Number(BigInt(String(s.endTimeUnixNano)) / 1000n) / 1000,
          });
  }
}

/** The stages of one publish inside the gateway, in ms, in the order they happen. */
export const STAGES = [
  ['authorise', 'the PUBLISH steps before the hand-over to the bridge (session, limits, topic)'],
  ['bridge queue', 'waiting in the write-through buffer for the batch before to be acknowledged'],
  ['kafka append', 'the batch produce request until acks=all'],
  ['in-order PUBACK', "after Kafka's ack until the PUBACK is allowed (earlier publishes of the device first)"],
  ['deliver', "from Kafka's acknowledgement to the entry handed to the buyer connection (log tail, feed window)"],
] as const;
export type Stage = (typeof STAGES)[number][0];

export type Breakdown = Record<Stage | 'total', number>;

/** One breakdown per publish trace that has all its spans (the first delivery counts). */
export function breakdowns(spans: readonly ReceivedSpan[]): Breakdown[] {
  const byTrace = new Map<string, Map<string, ReceivedSpan>>();
  for (const s of spans) {
    let t = byTrace.get(s.traceId);
    if (!t) byTrace.set(s.traceId, (t = new Map()));
    if (!t.has(s.name)) t.set(s.name, s);
  }
  const out: Breakdown[] = [];
  for (const t of byTrace.values()) {
    const [pub, auth, queue, append, deliver] = [
      'mqtt.publish',
      'publish.authorise',
      'bridge.queue',
      'kafka.append',
      'mqtt.deliver',
    ].map((n) => t.get(n));
    if (!pub || !auth || !queue || !append || !deliver) continue;
    out.push({
      authorise: auth.end - auth.start,
      'bridge queue': queue.end - queue.start,
      'kafka append': append.end - append.start,
      'in-order PUBACK': Math.max(0, pub.end - append.end),
      deliver: deliver.end - deliver.start,
      total: deliver.end - pub.start,
    });
  }
  return out;
}

export interface StageTable {
  traces: number;
  /** Each stage's own distribution. */
  stages: Record<Stage | 'total', Summary>;
  /**
   * For the publishes at the P50, P90 and P99 of the total (those ranked within one percentile
   * point of it): each stage's mean, so the columns add up to that total.
   */
  at: Record<'p50' | 'p90' | 'p99', Breakdown>;
}

export function stageTable(rows: readonly Breakdown[]): StageTable {
  const names = [...STAGES.map(([n]) => n), 'total'] as const;
  const stages = Object.fromEntries(names.map((n) => [n, summarize(rows.map((r) => r[n]))])) as StageTable['stages'];
  const sorted = [...rows].sort((a, b) => a.total - b.total);
  const band = (q: number): Breakdown => {
    const n = sorted.length;
    const lo = Math.max(0, Math.floor((q - 0.01) * n));
    const hi = Math.min(n, Math.max(lo + 1, Math.ceil((q + 0.01) * n)));
    const pick = sorted.slice(lo, hi);
    const mean = (k: Stage | 'total') => pick.reduce((s, r) => s + r[k], 0) / Math.max(1, pick.length);
    return Object.fromEntries(names.map((k) => [k, mean(k)])) as Breakdown;
  };
  return { traces: rows.length, stages, at: { p50: band(0.5), p90: band(0.9), p99: band(0.99) } };
}
