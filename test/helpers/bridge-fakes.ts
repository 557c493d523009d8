// Small in-memory stand-ins for the broker-side services the bridge talks to (Entitlements,
// Meter, BuyerChannel), and a buyer that speaks the replay protocol. They replace the broker
// engineer's services, not Redis/Kafka/anvil: integration tests still use the real Kafka.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type {
  AcceptedPublish,
  BuyerChannel,
  EntitlementEvent,
  Entitlements,
  Meter,
  SensorInfo,
  SubscriptionGrant,
} from '../../interfaces/layers.ts';
import { buyerTopic } from '../../protocol/topics.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { decodeFrame, type Control, type Entry } from '../../protocol/replay.ts';
import { Registry } from 'prom-client';
import { WriteThrough, type WriterOptions } from '../../bridge/writer.ts';
import { createBridgeMetrics } from '../../bridge/metrics.ts';
import type { LogStore } from '../../bridge/log-store.ts';
import type { Clock } from '../../lib/clock.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { SPEC } from '../bridge/log-store.contract.ts';

export function address(): string {
  return '0x' + randomBytes(20).toString('hex');
}

/** The write-through bridge's options for unit tests: small batches, quick retries, topics `p.<sensor>`. */
export function writerOptions(over: Partial<WriterOptions> = {}): WriterOptions {
  return {
    topicOf: (s) => `p.${s}`,
    topic: SPEC,
    lingerMs: 2,
    maxBatchEntries: 500,
    maxBatchBytes: 1 << 20,
    maxPayloadBytes: 1024,
    retryInitialMs: 5,
    retryMaxMs: 20,
    stallWarnMs: 100,
    buffer: { maxEntries: 1000, maxBytes: 1 << 20, highWaterPercent: 80, resendWindow: 100 },
    resend: { logLookbackEntries: 1000, lookupTimeoutMs: 1000, fetchMaxBytes: 1 << 20 },
    ...over,
  };
}

/** A write-through bridge on `store`, its metrics in a registry of its own. */
export function testWriter(store: LogStore, opts: WriterOptions, log?: Logger, clock?: Clock) {
  const registry = new Registry();
  let writer: WriteThrough | undefined;
  const metrics = createBridgeMetrics(
    registry,
    () => writer!.state(),
    () => ({ mqtt: 0, http: 0 }),
  );
  writer = new WriteThrough(store, opts, metrics, log ?? createLogger({ level: 'silent' }), clock);
  return { writer, metrics, registry };
}

/** How a publish ended: 'resolved', or the project's error code of its refusal. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isItradeError(err) ? err.code : String(err);
  }
}

export function publish(sensor: string, payload: Buffer, qos: 0 | 1 = 1, receivedAt = Date.now()): AcceptedPublish {
  return { sensor, payload, qos, receivedAt, clientId: `dev-${sensor.slice(2, 8)}` };
}

/** The same publish sent again by the device, with the MQTT DUP flag set. */
export function resend(sensor: string, payload: Buffer): AcceptedPublish {
  return { ...publish(sensor, payload, 1), dup: true };
}

export class FakeEntitlements implements Entitlements {
  readonly grants: SubscriptionGrant[] = [];
  calls = 0;

  grant(buyer: string, sensor: string, startTimestamp: number, dataEntries: number): void {
    this.grants.push({ subscription: address(), buyer, sensor, startTimestamp, dataEntries });
  }

  revokeAll(): void {
    this.grants.length = 0;
  }

  async principalOfAccount(): Promise<string | undefined> {
    return undefined;
  }

  async sensor(): Promise<SensorInfo | undefined> {
    return undefined;
  }

  async validSubscriptions(buyer: string, sensor: string): Promise<SubscriptionGrant[]> {
    this.calls += 1;
    return this.grants.filter((g) => g.buyer === buyer && g.sensor === sensor);
  }

  onEvent(_l: (e: EntitlementEvent) => void): () => void {
    return () => undefined;
  }
}

/** Paid entries per buyer and sensor, as the Redis meter counts them (atomic take). */
export class FakeMeter implements Meter {
  private readonly left = new Map<string, number>();
  readonly takes: number[] = [];

  pay(buyer: string, sensor: string, n: number): void {
    this.left.set(`${buyer}/${sensor}`, (this.left.get(`${buyer}/${sensor}`) ?? 0) + n);
  }

  async take(buyer: string, sensor: string, n: number): Promise<number> {
    const have = this.left.get(`${buyer}/${sensor}`) ?? 0;
    const got = Math.min(have, n);
    this.left.set(`${buyer}/${sensor}`, have - got);
    this.takes.push(got);
    return got;
  }

  async remaining(buyer: string, sensor: string): Promise<number> {
    return this.left.get(`${buyer}/${sensor}`) ?? 0;
  }
}

export interface Sent {
  buyer: string;
  topic: string;
  payload: Buffer;
}

/** Collects what the bridge sends to buyers; a listener may answer (the buyer's acks). */
export class FakeChannel implements BuyerChannel {
  readonly sent: Sent[] = [];
  private listeners: ((s: Sent) => void)[] = [];

  async send(buyer: string, topic: string, payload: Buffer): Promise<void> {
    const s = { buyer, topic, payload: Buffer.from(payload) };
    this.sent.push(s);
    for (const l of this.listeners) l(s);
  }

  listen(l: (s: Sent) => void): void {
    this.listeners.push(l);
  }
}

export interface ReplayOutcome {
  entries: Entry[];
  controls: Control[];
}

/**
 * A buyer on the replay protocol: collects one replay's frames and acks every `ackEvery`
 * entries through `handler` (the bridge), as a plain MQTT client would. Resolves at end/error.
 */
export function replayBuyer(
  channel: FakeChannel,
  handler: { onBuyerMessage(b: string, t: string, p: Buffer): Promise<void> },
  buyer: string,
  id: string,
  ackEvery = 1,
): Promise<ReplayOutcome> {
  const out: ReplayOutcome = { entries: [], controls: [] };
  const topic = buyerTopic(buyer, 'replay', id);
  return new Promise((resolve) => {
    channel.listen((s) => {
      if (s.buyer !== buyer || (s.topic !== topic && s.topic !== buyerTopic(buyer, 'replay', 'error'))) return;
      const f = decodeFrame(s.payload);
      if ('control' in f) {
        if (f.control.id !== id && f.control.id !== null) return;
        out.controls.push(f.control);
        if (f.control.type !== 'started') resolve(out);
        return;
      }
      out.entries.push(f.entry);
      if (f.entry.seq % ackEvery === 0)
        void handler.onBuyerMessage(buyer, `${topic}/ack`, Buffer.from(JSON.stringify({ ack: f.entry.seq })));
    });
  });
}

/** A pino logger whose JSON lines land in `lines`, to check what the operator sees. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'info' }, dest), lines };
}
