// One buyer's metered walk through a sensor's history, shared by the MQTT replay and the HTTP
// stream. Opening checks the entitlement (a valid subscription; history no older than its
// start) and fixes the range [from, end of the log now). Each step reads at most
// `fetchMaxBytes` from Kafka, takes the entries from the buyer's paid count (Meter.take) before
// handing them out, and never hands out more than was granted.
import type { Entitlements, Meter } from '../../interfaces/layers.ts';
import { itradeError } from '../../protocol/errors.ts';
import type { LogStore, StoredRecord } from '../log-store.ts';
import type { From } from '../../protocol/replay.ts';

export interface HistoryDeps {
  store: LogStore;
  entitlements: Entitlements;
  meter: Meter;
  topicOf(sensor: string): string;
  fetchMaxBytes: number;
}

export interface HistoryQuery {
  buyer: string;
  sensor: string;
  from?: From;
  limit?: number;
}

export type EndReason = 'caught-up' | 'paid-limit' | 'limit' | 'not-entitled';

export interface Step {
  entries: StoredRecord[];
  /** Set on the last step. */
  end?: EndReason;
}

interface Range {
  topic: string;
  partition: number;
  from: number;
  end: number;
}

export async function openHistory(deps: HistoryDeps, q: HistoryQuery): Promise<HistoryCursor> {
  const grants = await deps.entitlements.validSubscriptions(q.buyer, q.sensor);
  if (grants.length === 0)
    throw itradeError('REPLAY_NOT_SUBSCRIBED', `buyer ${q.buyer} has no valid subscription to sensor ${q.sensor}`);
  // Subscription start is in unix seconds (contract); Kafka timestamps are ms.
  const startMs = Math.min(...grants.map((g) => g.startTimestamp)) * 1000;
  const topic = deps.topicOf(q.sensor);
  const partition = await deps.store.partitionOf(topic, q.sensor);
  const [bounds, firstAllowed] = await Promise.all([
    deps.store.bounds(topic, partition),
    deps.store.offsetForTime(topic, partition, startMs),
  ]);
  const from = await startOffset(deps, q.from, { topic, partition, startMs, firstAllowed });
  if ((await deps.meter.remaining(q.buyer, q.sensor)) <= 0)
    throw itradeError('REPLAY_PAID_UP', `buyer ${q.buyer}, sensor ${q.sensor}`);
  return new HistoryCursor(deps, q, { topic, partition, from: Math.max(from, bounds.start), end: bounds.end });
}

async function startOffset(
  deps: HistoryDeps,
  from: From | undefined,
  at: { topic: string; partition: number; startMs: number; firstAllowed: number },
): Promise<number> {
  if (from === undefined) return at.firstAllowed;
  // Offsets and timestamps rise together in a sensor topic (the writer keeps timestamps
  // monotonic), so "offset >= first allowed" is "timestamp >= subscription start".
  if ('timestamp' in from) {
    if (from.timestamp < at.startMs)
      throw itradeError(
        'REPLAY_BEFORE_START',
        `from.timestamp ${from.timestamp} is before the subscription start ${at.startMs} (ms); ask from ` +
          `${at.startMs} or later, or leave "from" out`,
      );
    return deps.store.offsetForTime(at.topic, at.partition, from.timestamp);
  }
  if (from.offset < at.firstAllowed)
    throw itradeError(
      'REPLAY_BEFORE_START',
      `from.offset ${from.offset} is before the subscription start (first allowed offset ${at.firstAllowed})`,
    );
  return from.offset;
}

export class HistoryCursor {
  private next: number;
  private buffered: StoredRecord[] = [];
  private delivered = 0;
  private ended: EndReason | undefined;

  constructor(
    private readonly deps: HistoryDeps,
    private readonly q: HistoryQuery,
    readonly range: Range,
  ) {
    this.next = range.from;
  }

  /** The offset the next entry would have: where a later request may continue. */
  get nextOffset(): number {
    return this.next;
  }

  get sent(): number {
    return this.delivered;
  }

  /** Up to `max` more entries, already metered; `end` says why the walk stops, on the last step. */
  async step(max: number): Promise<Step> {
    const pre = this.endReason();
    if (pre) return { entries: [], end: pre };
    // Read once per step: the take below measures against these grants instead of reading them again.
    const grants = await this.deps.entitlements.validSubscriptions(this.q.buyer, this.q.sensor);
    if (grants.length === 0) return { entries: [], end: (this.ended = 'not-entitled') };
    if (this.buffered.length === 0) await this.fill();
    if (this.buffered.length === 0) return { entries: [], end: (this.ended = 'caught-up') };
    const want = Math.min(max, this.buffered.length, (this.q.limit ?? Infinity) - this.delivered);
    const granted = Math.min(want, await this.deps.meter.take(this.q.buyer, this.q.sensor, want, grants));
    const entries = this.buffered.splice(0, Math.max(0, granted));
    this.delivered += entries.length;
    if (entries.length > 0) this.next = entries[entries.length - 1]!.offset + 1;
    if (granted < want) this.ended = 'paid-limit';
    return { entries, end: this.ended ?? this.endReason() };
  }

  private endReason(): EndReason | undefined {
    if (this.ended) return this.ended;
    if (this.q.limit !== undefined && this.delivered >= this.q.limit) return (this.ended = 'limit');
    if (this.next >= this.range.end) return (this.ended = 'caught-up');
    return undefined;
  }

  // One bounded read; whatever lies past the end fixed at opening is not part of this replay.
  private async fill(): Promise<void> {
    const { topic, partition, end } = this.range;
    const records = await this.deps.store.read(topic, partition, this.next, {
      maxBytes: this.deps.fetchMaxBytes,
      maxRecords: end - this.next,
    });
    this.buffered = records.filter((r) => r.offset < end);
  }
}
