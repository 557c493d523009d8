// Recognising a device's resend (docs/bridge.md "Exactly once, at least once"): first in this
// instance's memory (bridge/resends.ts), then in the sensor's log itself. The memory knows only
// what this instance took, and only the last buffer.resendWindow entries of it; a device that
// reconnects through the load balancer to another instance, or resends later than that, would get
// its publish written twice, and buyers served (and metered) twice. Kafka is what every instance
// shares: a resend this instance does not know is looked for among the last
// resend.logLookbackEntries records of the sensor's partition, by its bytes (every payload is an
// envelope with a fresh nonce, so equal bytes on one sensor are one publish sent twice). Found, it
// is answered with that record's offset and not written.
//
// Only publishes with the DUP flag pay for it: a client sets it exactly when it sends a PUBLISH
// again [MQTT-3.3.1-1] (our SDK's device does, sdk/resend-store.ts). While the look-up runs, later
// publishes of the same sensor wait behind it (gate), so a resend that turns out new is still
// written before what the device sent after it.
//
// Kafka not answering within resend.lookupTimeoutMs does not drop an accepted publish: it is
// written (at least once), counted as result "failed". Not closed: a resend that reaches this
// instance while its original is still on its way to Kafka through another instance (buffered
// there while Kafka is slow) is not in the log yet, so both are written.
import { setTimeout as sleep } from 'node:timers/promises';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { ThrottledLog } from '../lib/throttled-log.ts';
import type { AcceptedPublish } from '../interfaces/layers.ts';
import type { LogStore } from './log-store.ts';
import type { BridgeMetrics } from './metrics.ts';
import { ResendIndex, resendKey } from './resends.ts';

export interface ResendOptions {
  /** Written entries this instance still recognises from memory (ResendIndex). */
  resendWindow: number;
  /** Records back from the log end a resend is compared with; 0: no look-up. */
  logLookbackEntries: number;
  /** A look-up not done in this time is given up (the resend is written). */
  lookupTimeoutMs: number;
  /** Most bytes one read of the log asks for. */
  fetchMaxBytes: number;
}

/**
 * The offset of the record among the last `lookback` of `key`'s partition of `topic` whose value
 * is `payload`, or undefined when there is none.
 */
export async function findInLog(
  store: LogStore,
  topic: string,
  key: string,
  payload: Buffer,
  lookback: number,
  maxBytes: number,
): Promise<number | undefined> {
  const partition = await store.partitionOf(topic, key);
  const { start, end } = await store.bounds(topic, partition);
  for (let from = Math.max(start, end - lookback); from < end;) {
    const got = await store.read(topic, partition, from, { maxBytes, maxRecords: end - from });
    if (got.length === 0) return undefined;
    const hit = got.find((r) => r.value.equals(payload));
    if (hit) return hit.offset;
    from = got[got.length - 1]!.offset + 1;
  }
  return undefined;
}

export class ResendCheck {
  /** What this instance took: buffered publishes and the last resendWindow written ones. */
  readonly index: ResendIndex;
  /** Per topic, the look-up under way: later publishes of that sensor wait for it. */
  private readonly gates = new Map<string, Promise<void>>();
  private readonly failures: ThrottledLog;

  constructor(
    private readonly store: LogStore,
    private readonly opts: ResendOptions,
    private readonly metrics: BridgeMetrics,
    log: Logger,
    /** False while the writer sees Kafka stalled: a look-up would only wait for its timeout. */
    private readonly kafkaAvailable: () => boolean = () => true,
  ) {
    this.index = new ResendIndex(opts.resendWindow);
    this.failures = new ThrottledLog(log, 'resend look-up in the log failed: written again', 'warn', 5000);
  }

  /** The look-up of this topic under way, if any: a publish of the sensor waits for it to keep its place. */
  gate(topic: string): Promise<void> | undefined {
    return this.gates.size === 0 ? undefined : this.gates.get(topic);
  }

  /**
   * A QoS 1 or 2 publish on `topic`: a resend of one taken already settles with it (it takes no
   * room, so it is answered even while the buffer refuses); otherwise `take(key)` writes it.
   */
  submit(p: AcceptedPublish, topic: string, take: (key: string) => Promise<number>): Promise<number> {
    const key = resendKey(topic, p.payload);
    const copy = this.index.lookup(key);
    if (copy) {
      this.metrics.resendsRecognised.inc();
      return copy;
    }
    if (!p.dup || this.opts.logLookbackEntries === 0) return take(key);
    if (this.kafkaAvailable()) return this.check(topic, p, key, take);
    this.metrics.resendLookups.inc({ result: 'failed' }); // not tried: it would fail
    this.failures.note('lookup', p.sensor, { err: 'kafka unavailable: not looked up' });
    return take(key);
  }

  /** Logs the failures summed and not yet written (at shutdown). */
  close(): void {
    this.failures.flushAll();
  }

  // One this instance does not know, marked as a resend: its original may be in the log.
  private async check(
    topic: string,
    p: AcceptedPublish,
    key: string,
    take: (key: string) => Promise<number>,
  ): Promise<number> {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(topic, gate);
    try {
      const offset = await this.lookUp(topic, p.sensor, p.payload);
      if (offset === undefined) return take(key); // queued before the gate opens
      this.metrics.resendsRecognised.inc();
      this.index.remember(key, offset);
      return offset;
    } finally {
      if (this.gates.get(topic) === gate) this.gates.delete(topic);
      open();
    }
  }

  private async lookUp(topic: string, sensor: string, payload: Buffer): Promise<number | undefined> {
    const t0 = performance.now();
    const ms = this.opts.lookupTimeoutMs;
    const timeout = new AbortController();
    try {
      const offset = await Promise.race([
        findInLog(this.store, topic, sensor, payload, this.opts.logLookbackEntries, this.opts.fetchMaxBytes),
        sleep(ms, undefined, { signal: timeout.signal }).then(() => {
          throw itradeError('KAFKA_READ_FAILED', `no answer within ${ms} ms`);
        }),
      ]);
      this.metrics.resendLookups.inc({ result: offset === undefined ? 'absent' : 'found' });
      return offset;
    } catch (err) {
      this.metrics.resendLookups.inc({ result: 'failed' });
      this.failures.note('lookup', sensor, { err: (err as Error).message });
      return undefined;
    } finally {
      timeout.abort();
      this.metrics.resendLookupSeconds.observe((performance.now() - t0) / 1000);
    }
  }
}
