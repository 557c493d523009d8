// One buyer connection's delivery of one sensor: reading the sensor's log from the buyer's
// cursor (interfaces/layers.ts SensorLog) and writing each entry to the connection as a PUBLISH.
// The cursor (interfaces/cursor.ts) is the meter: it advances on the buyer's PUBACK for QoS 1
// and on hand-over for QoS 0, by a compare-and-set, so two deliveries of the same entries (two
// instances, two connections) count them once. Entries unacknowledged when the connection ends
// are not counted and are delivered again from the cursor, here or on any instance.
//
// Bounds on what is sent and not yet counted: `window` entries waiting for a PUBACK, and
// `leaseSize` entries sent ahead of the durable cursor in all. While Redis is away delivery goes
// on within that lease; when it returns the acknowledged entries are counted, none twice.
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Cursor } from '../interfaces/cursor.ts';
import type { LogEntry } from '../interfaces/layers.ts';
import { traceDelivery } from '../tracing/hooks.ts';
import { paidLimit } from '../metering/meter.ts';
import { dropSensorSubscription, notify, type BrokerContext } from './context.ts';

export interface FeedStart {
  /** Lower-case address. */
  sensor: string;
  /** The filter the buyer subscribed with: entries are published on it. */
  topic: string;
  qos: 0 | 1;
  /** The paid N: the sum of the buyer's valid subscriptions' entries. */
  limit: number;
  cursor: Cursor;
}

interface Sent {
  offset: number;
  messageId: number;
  acked: boolean;
}

/** The one private Aedes field the feeds use: the client's next packet id (lib/qos-packet.js). */
export type PacketIds = { _nextId: number };

const COMMIT_RETRY_MS = 1000;
// At the log's end with nothing in flight, the cursor is read again this often: another
// connection of the same buyer (any instance) may have moved it, up to the paid N.
const IDLE_CHECK_MS = 5000;

export class Feed {
  private readonly abort = new AbortController();
  private idle: AbortSignal | undefined;
  private readonly topic: string;
  private committed: Cursor;
  private sendNext: number;
  private limit: number;
  private readonly inflight: Sent[] = [];
  /** Acknowledged entries (a prefix after `committed.next`) not yet counted in the store. */
  private acked: { next: number; entries: number };
  /** The compare-and-set under way, if one is: one at a time per feed. */
  private committing: Promise<boolean> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly client: Client,
    private readonly buyer: string,
    private readonly start: FeedStart,
  ) {
    this.topic = start.topic;
    this.committed = { ...start.cursor };
    this.sendNext = start.cursor.next;
    this.acked = { next: start.cursor.next, entries: 0 };
    this.limit = start.limit;
  }

  get sensor(): string {
    return this.start.sensor;
  }

  run(): void {
    this.loop().catch((err: unknown) => {
      if (!this.stopped) this.ctx.log.warn({ err, sensor: this.sensor }, 'delivery stopped on an error');
    });
  }

  /** A PUBACK from the buyer: true when it acknowledged one of this feed's entries. */
  onPuback(messageId: number): boolean {
    const sent = this.inflight.find((s) => s.messageId === messageId && !s.acked);
    if (!sent) return false;
    sent.acked = true;
    while (this.inflight[0]?.acked) this.ack(this.inflight.shift()!.offset);
    this.commit();
    this.wake();
    return true;
  }

  /** Ends delivery; what was acknowledged is counted (tracked by the caller), the rest comes again. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.retry);
    this.wake();
    // An advance under way covers only what was acknowledged before it began: wait for it, then
    // count the rest, so an acknowledged entry is not sent again.
    for (let i = 0; i < 3 && (this.acked.entries > 0 || this.committing); i++) await this.commitOnce();
  }

  private async loop(): Promise<void> {
    await this.ctx.connacked(this.client);
    while (!this.stopped) {
      const budget = this.budget();
      if (budget <= 0) {
        if (this.paidUp()) {
          // The chain (or its cache in Redis) may not answer now: ask again in a while.
          const done = await this.exhausted().catch(() => undefined);
          if (done) return;
          if (done === undefined) await new Promise((r) => setTimeout(r, COMMIT_RETRY_MS));
          continue;
        }
        await this.sleep();
        continue;
      }
      const entries = await this.read(budget, this.idleSignal());
      if (this.stopped) return;
      if (entries.length === 0) await this.refresh();
      for (const e of entries) if (e.offset >= this.sendNext) this.send(e);
      await this.drained();
    }
  }

  /**
   * Aborts on stop or IDLE_CHECK_MS after it was made; kept until then, so a read at the log's end
   * waits at most that long. One per read made every signal anew (AbortSignal.any and .timeout:
   * 4 % of the gateway's CPU at the paper's load, a read per delivered entry or two).
   */
  private idleSignal(): AbortSignal {
    if (this.idle === undefined || this.idle.aborted)
      this.idle = AbortSignal.any([this.abort.signal, AbortSignal.timeout(IDLE_CHECK_MS)]);
    return this.idle;
  }

  // Kafka away (or a moved leader): wait and read again from the same place, so nothing is skipped.
  private async read(max: number, signal: AbortSignal): Promise<LogEntry[]> {
    try {
      return await this.ctx.sensorLog!.read(this.sensor, this.sendNext, max, signal);
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, sensor: this.sensor }, 'log read failed; retrying');
      await new Promise((r) => setTimeout(r, COMMIT_RETRY_MS));
      return [];
    }
  }

  private budget(): number {
    const m = this.ctx.metering;
    const ahead = this.acked.entries + this.inflight.length;
    const room = this.start.qos === 1 ? m.window - this.inflight.length : m.window;
    return Math.min(room, m.leaseSize - ahead, this.limit - this.committed.delivered - ahead);
  }

  private paidUp(): boolean {
    return this.committed.delivered >= this.limit && this.inflight.length === 0 && this.acked.entries === 0;
  }

  // Every paid entry was delivered and counted: the buyer may have paid for more since; if not,
  // it is told and the subscription ends.
  private async exhausted(): Promise<boolean> {
    const fresh = paidLimit(await this.ctx.entitlements.validSubscriptions(this.buyer, this.sensor));
    if (fresh > this.limit) {
      this.limit = fresh;
      return false;
    }
    notify(this.ctx, this.buyer, {
      type: 'entries-exhausted',
      sensor: this.sensor,
      reason: 'every paid data entry was delivered',
    });
    dropSensorSubscription(this.ctx, this.client, this.sensor);
    return true;
  }

  private send(e: LogEntry): void {
    const qos = this.start.qos;
    const packet = { cmd: 'publish' as const, topic: this.topic, payload: e.payload, qos, retain: false, dup: false };
    this.sendNext = e.offset + 1;
    // Only entries of traced publishes carry one: the others build no attributes.
    if (e.traceparent) traceDelivery(e, { 'messaging.client.id': this.client.id, 'itrade.offset': e.offset });
    if (qos === 1) {
      const messageId = nextPacketId(this.client);
      this.inflight.push({ offset: e.offset, messageId, acked: false });
      mqttPacket.writeToStream({ ...packet, messageId }, this.conn());
    } else {
      mqttPacket.writeToStream(packet, this.conn());
      this.ack(e.offset); // QoS 0: handed over is delivered
    }
    this.ctx.metrics.deliveries.inc({ kind: 'sensor_data' });
    if (qos === 0) this.commit();
  }

  private ack(offset: number): void {
    // Below the cursor another delivery already moved (commitOnce, refresh): counted there, and a
    // compare-and-set from here would move the shared cursor back and count it again.
    if (offset < this.acked.next) return;
    this.acked.next = offset + 1;
    this.acked.entries++;
    this.ctx.metrics.meteredEntries.inc();
  }

  private conn(): Duplex {
    return this.client.conn as unknown as Duplex;
  }

  private commit(): void {
    if (this.committing || this.acked.entries === 0 || this.retry) return;
    void this.commitOnce().then((ok) => {
      if (this.stopped) return;
      if (!ok) this.retry = setTimeout(() => ((this.retry = undefined), this.commit()), COMMIT_RETRY_MS);
      else if (this.acked.entries > 0) this.commit();
    });
  }

  // One compare-and-set of the acknowledged prefix (or the one under way). Another delivery that
  // moved the cursor first counted those entries: this one adopts its cursor and counts nothing.
  private commitOnce(): Promise<boolean> {
    if (this.acked.entries === 0 && !this.committing) return Promise.resolve(true);
    this.committing ??= this.advance().finally(() => {
      this.committing = undefined;
      this.wake();
    });
    return this.committing;
  }

  private async advance(): Promise<boolean> {
    const { next, entries } = this.acked;
    try {
      const r = await this.ctx.cursors.advance(this.buyer, this.sensor, this.committed.next, next, entries);
      this.committed = r.cursor;
      if (r.moved) this.acked.entries -= entries;
      else {
        this.acked = { next: Math.max(this.acked.next, r.cursor.next), entries: 0 };
        this.sendNext = Math.max(this.sendNext, r.cursor.next);
      }
      return true;
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, sensor: this.sensor }, 'cursor advance failed; retrying');
      return false;
    }
  }

  private async refresh(): Promise<void> {
    if (this.inflight.length > 0 || this.acked.entries > 0 || this.committing) return;
    const c = await this.ctx.cursors.get(this.buyer, this.sensor).catch(() => undefined);
    if (!c || this.inflight.length > 0 || this.acked.entries > 0 || this.committing) return;
    this.committed = c;
    this.acked = { next: Math.max(this.acked.next, c.next), entries: 0 };
    this.sendNext = Math.max(this.sendNext, c.next);
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => (this.wakeUp = resolve));
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  // The socket's buffer is full: wait for it to drain (or close) before reading more.
  private async drained(): Promise<void> {
    const conn = this.conn();
    if (!conn.writableNeedDrain || conn.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = () => (conn.off('drain', done), conn.off('close', done), resolve());
      conn.on('drain', done);
      conn.on('close', done);
    });
  }
}

// Aedes' own allocation (lib/qos-packet.js), so ids never clash with its notices in flight.
function nextPacketId(client: Client): number {
  const c = client as unknown as PacketIds;
  const id = c._nextId;
  c._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}
