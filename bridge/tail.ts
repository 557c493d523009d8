// The per-instance log reader for delivery (interfaces/layers.ts SensorLog). Per sensor topic
// that local buyers follow, one tailing read, and one loop reads the tails of all of them at
// once (LogStore.readMany: one Fetch per Kafka broker, not one per buyer). The tail keeps the
// last `ringEntries` entries in memory; every buyer whose cursor is inside that window is served
// from it, a buyer further behind reads its own catch-up window from the store and joins the
// tail once it gets there. The instance that accepted a publish hands the entry over as soon as
// Kafka gave its offset (handOver), so its own buyers get it without waiting for the next fetch;
// the fetch then skips offsets the tail already has, so the two never deliver one entry twice.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogEntry, SensorLog } from '../interfaces/layers.ts';
import { TRACEPARENT_HEADER } from '../tracing/hooks.ts';
import type { Logger } from '../lib/log.ts';
import { normAddress } from '../protocol/topics.ts';
import type { LogStore, StoredRecord } from './log-store.ts';

export interface TailOptions {
  topicOf(sensor: string): string;
  /** Creates the sensor's topic when missing (a buyer may subscribe before the first publish). */
  ensureTopic(sensor: string): Promise<void>;
  /** Entries kept per followed sensor for the buyers at the tail. */
  ringEntries: number;
  /** Most bytes one read asks for, per partition. */
  fetchMaxBytes: number;
  /** A tail nobody read from for this long is dropped. */
  idleMs: number;
}

interface Tail {
  topic: string;
  partition: number;
  /** The offset after the last entry the tail has: where its next read starts. */
  next: number;
  ring: LogEntry[];
  waiters: Set<() => void>;
  lastWanted: number;
}

type Place = { topic: string; partition: number };

const RETRY_MS = 500;

export class LogTail implements SensorLog {
  private readonly tails = new Map<string, Tail>();
  private looping: Promise<void> | undefined;
  private poke: (() => void) | undefined;
  private closed = false;
  /** Each sensor's topic and partition, found once (the topic made if missing). */
  private readonly places = new Map<string, Promise<Place>>();

  constructor(
    private readonly store: LogStore,
    private readonly opts: TailOptions,
    private readonly log: Logger,
  ) {}

  async read(sensor: string, from: number, max: number, signal: AbortSignal): Promise<LogEntry[]> {
    const t = await this.tail(sensor, from);
    for (;;) {
      if (signal.aborted || this.closed) return [];
      t.lastWanted = Date.now();
      const cached = fromRing(t, from, max);
      if (cached) return cached;
      // Behind the window (or no window yet): this buyer's own catch-up read.
      if (from < t.next || t.ring.length === 0) {
        const got = await this.store.read(t.topic, t.partition, from, {
          maxBytes: this.opts.fetchMaxBytes,
          maxRecords: max,
        });
        if (got.length > 0) return got.map(entry);
      }
      await this.until(t, signal);
    }
  }

  async offsetAt(sensor: string, timestampMs: number): Promise<number> {
    const { topic, partition } = await this.place(sensor);
    return this.store.offsetForTime(topic, partition, timestampMs);
  }

  async end(sensor: string): Promise<number> {
    const { topic, partition } = await this.place(sensor);
    return (await this.store.bounds(topic, partition)).end;
  }

  /** The entry Kafka just acknowledged at `offset` (this instance accepted it): straight to the tail. */
  handOver(sensor: string, offset: number, payload: Buffer, traceparent?: string): void {
    const t = this.tails.get(normAddress(sensor));
    if (!t || offset !== t.next) return; // not followed here, or the tail is elsewhere: the fetch reads it
    const e = traceparent ? { offset, payload, traceparent, handedOverAt: performance.now() } : { offset, payload };
    append(t, [e], this.opts.ringEntries);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.tails.values()) wake(t);
    this.poke?.();
    await this.looping;
  }

  // A storm of buyers subscribing to one sensor asks for its place at once: one look-up serves
  // them all (each would otherwise be a CreateTopics and two Metadata rounds to Kafka, issue 16).
  // A failed one is forgotten, so the next ask tries again.
  private place(sensor: string): Promise<Place> {
    const s = normAddress(sensor);
    let p = this.places.get(s);
    if (!p) {
      p = this.findPlace(s);
      this.places.set(s, p);
      p.catch(() => this.places.delete(s));
    }
    return p;
  }

  private async findPlace(s: string): Promise<Place> {
    const topic = this.opts.topicOf(s);
    await this.opts.ensureTopic(s);
    return { topic, partition: await this.store.partitionOf(topic, s) };
  }

  private async tail(sensor: string, from: number): Promise<Tail> {
    const key = normAddress(sensor);
    let t = this.tails.get(key);
    if (t) return t;
    const { topic, partition } = await this.place(sensor);
    t = this.tails.get(key); // another reader may have made it meanwhile
    if (t) return t;
    t = { topic, partition, next: from, ring: [], waiters: new Set(), lastWanted: Date.now() };
    this.tails.set(key, t);
    this.looping ??= this.loop().finally(() => (this.looping = undefined));
    this.poke?.();
    return t;
  }

  private until(t: Tail, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        t.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      t.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  // One read for every followed tail at a time, until none is left.
  private async loop(): Promise<void> {
    while (!this.closed && this.tails.size > 0) {
      this.dropIdle();
      const tails = [...this.tails.values()];
      if (tails.length === 0) break;
      let got: StoredRecord[][];
      try {
        const reqs = tails.map((t) => ({ topic: t.topic, partition: t.partition, offset: t.next }));
        got = await this.store.readMany(reqs, { maxBytes: this.opts.fetchMaxBytes, maxRecords: this.opts.ringEntries });
      } catch (err) {
        this.log.warn({ err: (err as Error).message, tails: tails.length }, 'tail read failed; retrying');
        await this.pause(RETRY_MS);
        continue;
      }
      let any = false;
      tails.forEach((t, i) => {
        const fresh = got[i]!.filter((r) => r.offset >= t.next);
        if (fresh.length > 0) ((any = true), append(t, fresh.map(entry), this.opts.ringEntries));
      });
      if (!any) await this.pause(20);
    }
  }

  private pause(ms: number): Promise<void> {
    return Promise.race([sleep(ms), new Promise<void>((r) => (this.poke = r))]).finally(() => (this.poke = undefined));
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const [k, t] of this.tails)
      if (t.waiters.size === 0 && now - t.lastWanted > this.opts.idleMs) this.tails.delete(k);
  }
}

function entry(r: StoredRecord): LogEntry {
  const traceparent = r.headers[TRACEPARENT_HEADER];
  return traceparent ? { offset: r.offset, payload: r.value, traceparent } : { offset: r.offset, payload: r.value };
}

function append(t: Tail, entries: LogEntry[], keep: number): void {
  t.ring.push(...entries);
  if (t.ring.length > keep) t.ring.splice(0, t.ring.length - keep);
  t.next = entries[entries.length - 1]!.offset + 1;
  wake(t);
}

function wake(t: Tail): void {
  for (const w of [...t.waiters]) w();
}

// The ring holds offsets in order (gaps only where the log has them); `from` inside it: serve.
function fromRing(t: Tail, from: number, max: number): LogEntry[] | undefined {
  const first = t.ring[0];
  if (!first || from < first.offset || from >= t.next) return undefined;
  let i = Math.min(from - first.offset, t.ring.length - 1);
  while (i > 0 && t.ring[i]!.offset > from) i--;
  while (i < t.ring.length && t.ring[i]!.offset < from) i++;
  return t.ring.slice(i, i + max);
}
