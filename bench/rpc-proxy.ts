// A JSON-RPC pass-through that counts calls by method: the gateway's chain traffic measured from
// the outside, whatever its cache and batching do inside. Batched requests count each call.
// With maxLogRange it also refuses, as public providers do, an eth_getLogs over more blocks
// (or with a 'latest'/'earliest' bound it cannot check): JSON-RPC error -32005, counted as refused.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class RpcCounter {
  readonly counts = new Map<string, number>();
  /** eth_getLogs calls refused for their range. */
  refused = 0;
  private server?: Server;

  constructor(
    private readonly upstream: string,
    private readonly maxLogRange?: number,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.count(body);
        const refusal = this.refusal(body);
        if (refusal) {
          this.refused++;
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify(refusal));
        }
        fetch(this.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': 'application/json' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private count(body: Buffer): void {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { method?: string } | { method?: string }[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const m = call.method ?? '?';
        this.counts.set(m, (this.counts.get(m) ?? 0) + 1);
      }
    } catch {
      this.counts.set('(unparsable)', (this.counts.get('(unparsable)') ?? 0) + 1);
    }
  }

  /** The error answer to a single eth_getLogs over more than maxLogRange blocks, else undefined. */
  private refusal(body: Buffer): object | undefined {
    if (this.maxLogRange === undefined) return undefined;
    let call: { id?: unknown; method?: string; params?: { fromBlock?: string; toBlock?: string }[] };
    try {
      call = JSON.parse(body.toString('utf8')) as typeof call;
    } catch {
      return undefined;
    }
    if (Array.isArray(call) || call.method !== 'eth_getLogs') return undefined;
    const f = call.params?.[0] ?? {};
    if (f && 'blockHash' in f) return undefined;
    const from = Number(f.fromBlock ?? NaN);
    const to = Number(f.toBlock ?? NaN);
    if (Number.isFinite(from) && Number.isFinite(to) && to - from + 1 <= this.maxLogRange) return undefined;
    const message = `query exceeds max block range ${this.maxLogRange}`;
    return { jsonrpc: '2.0', id: call.id ?? null, error: { code: -32005, message } };
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  total(methods?: string[]): number {
    let n = 0;
    for (const [m, c] of this.counts) if (!methods || methods.includes(m)) n += c;
    return n;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

/** Calls made between two snapshots, by method. */
export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [m, c] of Object.entries(after)) if (c - (before[m] ?? 0) > 0) out[m] = c - (before[m] ?? 0);
  return out;
}
