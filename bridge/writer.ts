// Write-through: every publish the broker accepted goes to its sensor's topic, and the promise
// the broker awaits (to send the PUBACK) settles only when Kafka acknowledged it.
//
// Group commit: one batch is in flight at a time; publishes arriving meanwhile gather into the
// next batch (bridge/batch.ts), which leaves as soon as the previous one is acknowledged. An idle
// bridge waits `lingerMs` to gather. One batch in flight keeps a sensor's order even when a write
// fails and is retried (a later batch can never overtake it).
//
// Bounded buffer (docs/bridge.md "Kafka unavailable", bridge/budget.ts): each refusal is a typed
// error for the broker, a metric and a (rate-limited) log line.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptedPublish } from '../interfaces/layers.ts';
import { isAddress } from '../protocol/topics.ts';
import { isItradeError, itradeError, type ErrorName, type ItradeError } from '../protocol/errors.ts';
import { abortable } from '../lib/abortable.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { ThrottledLog } from '../lib/throttled-log.ts';
import { TRACEPARENT_HEADER, traceKafkaWrite } from '../tracing/hooks.ts';
import { takeBatch, type Pending } from './batch.ts';
import { BufferBudget } from './budget.ts';
import { EntryRecords } from './entry-record.ts';
import { Fifo } from './fifo.ts';
import { ResendCheck, type ResendOptions } from './resend-check.ts';
import type { LogStore, TopicSpec } from './log-store.ts';
import type { BridgeMetrics, BufferState } from './metrics.ts';

export interface WriterOptions {
  topicOf(sensor: string): string;
  topic: TopicSpec;
  lingerMs: number;
  maxBatchEntries: number;
  maxBatchBytes: number;
  maxPayloadBytes: number;
  retryInitialMs: number;
  retryMaxMs: number;
  stallWarnMs: number;
  buffer: { maxEntries: number; maxBytes: number; highWaterPercent: number; resendWindow: number };
  /** Looking a resend this instance does not know up in the sensor's log (bridge/resend-check.ts). */
  resend: Omit<ResendOptions, 'resendWindow'>;
}

// A write ends with these; anything else (Kafka down, topic not there yet) is retried.
const FINAL: ErrorName[] = ['KAFKA_WRITE_FAILED', 'BRIDGE_CLOSED'];
const closedEarly = () => itradeError('BRIDGE_CLOSED', 'closed before Kafka acknowledged');

export class WriteThrough {
  private readonly queue = new Fifo<Pending>();
  private readonly budget: BufferBudget;
  private closed = false;
  private flushing: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private inflightSince = 0;
  private readonly abort = new AbortController();
  private available = true;
  private readonly knownTopics = new Set<string>();
  private readonly records = new EntryRecords();
  private readonly stallTimer: NodeJS.Timeout;
  private readonly refusals: ThrottledLog;
  private readonly resends: ResendCheck;

  constructor(
    private readonly store: LogStore,
    private readonly opts: WriterOptions,
    private readonly metrics: BridgeMetrics,
    private readonly log: Logger,
    clock: Clock = systemClock,
  ) {
    this.budget = new BufferBudget(opts.buffer);
    const resend = { ...opts.resend, resendWindow: opts.buffer.resendWindow };
    this.resends = new ResendCheck(store, resend, metrics, log, () => this.available);
    this.refusals = new ThrottledLog(log, 'bridge refused publishes', 'warn', 5000, clock);
    this.stallTimer = setInterval(() => this.checkStall(), Math.min(1000, Math.max(50, opts.stallWarnMs / 4)));
    this.stallTimer.unref();
  }

  state(): BufferState {
    return { entries: this.budget.entries, bytes: this.budget.bytes, kafkaAvailable: this.available };
  }

  /** Resolves with the entry's offset once Kafka has the payload (PublishListener.onPublish); rejects when refused. */
  submit(p: AcceptedPublish): Promise<number> {
    const topic = this.closed || !isAddress(p.sensor) ? undefined : this.opts.topicOf(p.sensor);
    // A resend of this sensor is being looked up in its log: this publish waits to keep its place.
    const gate = topic === undefined ? undefined : this.resends.gate(topic);
    if (gate) return gate.then(() => this.submit(p));
    // A device's resend of a publish taken already is not written again (bridge/resend-check.ts).
    if (topic === undefined || p.qos === 0) return this.take(p, undefined);
    return this.resends.submit(p, topic, (key) => this.take(p, key));
  }

  /** Admits the publish into the buffer (or refuses it); resolves with its offset once Kafka has it. */
  private take(p: AcceptedPublish, key: string | undefined): Promise<number> {
    const refusal = this.admission(p);
    if (refusal) {
      const [name, reason] = refusal;
      this.metrics.refused.inc({ qos: String(p.qos), reason });
      // The buffer's figures when the line is written, not those of the first refusal it sums.
      const fields = () => ({ reason, bufferEntries: this.budget.entries, bufferBytes: this.budget.bytes });
      this.refusals.note(reason, p.sensor, fields);
      return Promise.reject(itradeError(name, `sensor ${p.sensor}, qos ${p.qos}`));
    }
    return new Promise<number>((resolve, reject) => {
      const record = this.records.make(p, this.opts.topicOf(p.sensor));
      const pending: Pending = { record, qos: p.qos, since: performance.now(), resolve, reject };
      if (key !== undefined) this.resends.index.add((pending.key = key), pending);
      this.queue.push(pending);
      this.budget.take(p.payload.length);
      this.schedule();
    });
  }

  /** Creates the sensor's topic (sensor activated); later publishes need no look-up. */
  async ensureTopic(sensor: string): Promise<void> {
    const topic = this.opts.topicOf(sensor);
    if (await this.store.ensureTopic(topic, this.opts.topic)) {
      this.metrics.topicsCreated.inc();
      this.log.info({ sensor, topic }, 'sensor topic created');
    }
    this.knownTopics.add(topic);
  }

  /**
   * Takes nothing more; waits up to `timeoutMs` for Kafka to acknowledge what it took, then
   * rejects the rest (BRIDGE_CLOSED: not acknowledged, so QoS 1 devices send them again).
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.stallTimer);
    this.kick();
    const flushing = this.flushing;
    const drained = flushing ? await Promise.race([flushing.then(() => true), sleep(timeoutMs, false)]) : true;
    if (!drained) {
      this.abort.abort();
      this.failQueued(closedEarly());
      await flushing;
    }
    // Refusals summed and not yet written would otherwise go with the process.
    this.refusals.flushAll();
    this.resends.close();
  }

  private admission(p: AcceptedPublish): [ErrorName, string] | undefined {
    if (this.closed) return ['BRIDGE_CLOSED', 'closed'];
    if (!isAddress(p.sensor)) return ['BRIDGE_BAD_PUBLISH', 'bad_publish'];
    if (p.payload.length > this.opts.maxPayloadBytes) return ['BRIDGE_PAYLOAD_TOO_LARGE', 'too_large'];
    return this.budget.refusal(p.qos, p.payload.length);
  }

  private schedule(): void {
    if (this.flushing || this.lingerTimer) return;
    const full = this.queue.length >= this.opts.maxBatchEntries || this.budget.bytes >= this.opts.maxBatchBytes;
    if (full || this.opts.lingerMs === 0) this.kick();
    else this.lingerTimer = setTimeout(() => this.kick(), this.opts.lingerMs);
  }

  private kick(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = takeBatch(this.queue, this.opts.maxBatchEntries, this.opts.maxBatchBytes);
      await this.writeBatch(batch, true);
      for (const p of batch) {
        this.budget.release(p.record.value.length);
      }
    }
  }

  // Retries until Kafka takes the batch or refuses it for good. A permanent refusal of a batch
  // spanning several topics is retried per topic, so one bad topic cannot fail the others
  // (each partition gets the same records again, so the idempotent producer dedupes).
  private async writeBatch(batch: Pending[], splittable: boolean): Promise<void> {
    this.inflightSince = performance.now();
    let offsets: number[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        // On close after the drain timeout, an append kafkajs still retries is abandoned (its
        // publishes are rejected, so they are never acknowledged).
        await abortable(this.abort.signal, closedEarly, async () => {
          await this.ensureTopics(batch);
          offsets = await this.store.append(batch.map((p) => p.record));
        });
        this.acknowledge(batch, offsets);
        return;
      } catch (err) {
        const e = isItradeError(err) ? err : itradeError('KAFKA_WRITE_FAILED', (err as Error).message, { cause: err });
        if (FINAL.some((n) => isItradeError(e, n))) return this.failOrSplit(batch, e, splittable);
        if (attempt % 20 === 0)
          this.log.warn({ attempt, entries: batch.length, err: e.message }, 'kafka write failed: retrying');
        await sleep(Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** Math.min(attempt, 16)));
      }
    }
  }

  private async failOrSplit(batch: Pending[], err: ItradeError, splittable: boolean): Promise<void> {
    const topics = [...new Set(batch.map((p) => p.record.topic))];
    if (!splittable || topics.length === 1 || isItradeError(err, 'BRIDGE_CLOSED')) return this.fail(batch, err);
    for (const t of topics)
      await this.writeBatch(
        batch.filter((p) => p.record.topic === t),
        false,
      );
  }

  // Together, not one after the other: a gateway restarting under 100 publishing devices meets
  // every sensor's topic in its first batches.
  private async ensureTopics(batch: Pending[]): Promise<void> {
    const sensors = new Map<string, string>();
    for (const p of batch) if (!this.knownTopics.has(p.record.topic)) sensors.set(p.record.topic, p.record.key);
    await Promise.all([...sensors.values()].map((s) => this.ensureTopic(s)));
  }

  private acknowledge(batch: Pending[], offsets: number[]): void {
    const now = performance.now();
    this.metrics.kafkaWriteSeconds.observe((now - this.inflightSince) / 1000);
    this.metrics.batchEntries.observe(batch.length);
    this.metrics.batchBytes.observe(batch.reduce((n, p) => n + p.record.value.length, 0));
    this.metrics.written.inc(batch.length);
    if (!this.available) {
      this.available = true;
      this.log.info(
        { outageMs: Math.round(now - this.inflightSince), backlog: this.budget.entries },
        'kafka available again: draining the backlog in order',
      );
    }
    const sentAt = this.inflightSince;
    batch.forEach((p, i) => {
      this.metrics.publishAckSeconds.observe((now - p.since) / 1000);
      const traceparent = p.record.headers[TRACEPARENT_HEADER];
      if (traceparent)
        traceKafkaWrite(traceparent, { acceptedAt: p.since, sentAt, ackedAt: now }, { entries: batch.length });
      p.resolve(offsets[i]!);
      if (p.key !== undefined) this.resends.index.wrote(p.key, p, offsets[i]!);
    });
  }

  private fail(batch: Pending[], err: ItradeError): void {
    const ctx = {
      entries: batch.length,
      topics: [...new Set(batch.map((p) => p.record.topic))].slice(0, 5),
      err: err.message,
    };
    if (isItradeError(err, 'BRIDGE_CLOSED')) {
      for (const p of batch) this.metrics.refused.inc({ qos: String(p.qos), reason: 'closed' });
      this.log.warn(ctx, 'bridge closed before kafka acknowledged: publishes not acknowledged');
    } else {
      this.metrics.writeFailed.inc(batch.length);
      this.log.error(ctx, 'kafka refused a batch for good: publishes not acknowledged');
    }
    for (const p of batch) this.reject(p, err);
  }

  private reject(p: Pending, err: ItradeError): void {
    p.reject(err);
    if (p.key !== undefined) this.resends.index.failed(p.key, p, err);
  }

  private failQueued(err: ItradeError): void {
    const rest: Pending[] = [];
    while (this.queue.length > 0) rest.push(this.queue.shift()!);
    for (const p of rest) {
      this.budget.release(p.record.value.length);
      this.metrics.refused.inc({ qos: String(p.qos), reason: 'closed' });
      this.reject(p, err);
    }
    if (rest.length > 0)
      this.log.warn({ entries: rest.length }, 'bridge closed with unwritten publishes: not acknowledged');
  }

  private checkStall(): void {
    if (!this.flushing || !this.available) return;
    const stalledMs = performance.now() - this.inflightSince;
    if (stalledMs < this.opts.stallWarnMs) return;
    this.available = false;
    this.log.warn(
      { stalledMs: Math.round(stalledMs), entries: this.budget.entries, bytes: this.budget.bytes },
      'kafka unavailable: buffering, then refusing',
    );
  }
}
