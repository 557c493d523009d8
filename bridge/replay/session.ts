// One MQTT replay: sends metered history entries to `buyers/<b>/replay/<id>` with at most
// `window` of them unacknowledged, and waits for the buyer's acks before sending more. So a
// slow buyer holds at most one bounded Kafka read in the gateway, never an unbounded queue.
import type { BuyerChannel } from '../../interfaces/layers.ts';
import { buyerTopic } from '../../protocol/topics.ts';
import { errorCode, isItradeError } from '../../protocol/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/log.ts';
import type { BridgeMetrics } from '../metrics.ts';
import type { HistoryCursor } from './history.ts';
import { encodeControl, encodeEntry, type Control, type ReplayAck } from '../../protocol/replay.ts';
import { asBuffer } from '../../lib/bytes.ts';

export interface SessionDeps {
  channel: BuyerChannel;
  metrics: BridgeMetrics;
  log: Logger;
  ackTimeoutMs: number;
  /** Times the ack timeout. */
  clock: Clock;
}

export type SessionEnd = string; // an EndReason, 'cancelled', 'ack-timeout' or 'error'

export class ReplaySession {
  private sent = 0;
  private acked = 0;
  private cancelled = false;
  private wake: (() => void) | undefined;
  readonly topic: string;

  constructor(
    private readonly deps: SessionDeps,
    readonly buyer: string,
    readonly id: string,
    private readonly sensor: string,
    private readonly cursor: HistoryCursor,
    private window: number,
  ) {
    this.topic = buyerTopic(buyer, 'replay', id);
  }

  /** The buyer's ack/credit message; `ack` is cumulative: every entry up to that sequence arrived. */
  onAck(a: ReplayAck): void {
    if (a.ack !== undefined && a.ack > this.acked) this.acked = Math.min(a.ack, this.sent);
    if (a.window !== undefined) this.window = a.window;
    if (a.cancel) this.cancelled = true;
    this.wake?.();
  }

  async run(): Promise<SessionEnd> {
    try {
      const { from, end } = this.cursor.range;
      await this.control({ type: 'started', id: this.id, sensor: this.sensor, from, end, window: this.window });
      const reason = await this.pump();
      await this.control({ type: 'end', id: this.id, reason, sent: this.sent, next: this.cursor.nextOffset });
      return reason;
    } catch (err) {
      const code = isItradeError(err) ? err.code : errorCode('KAFKA_READ_FAILED');
      this.deps.log.warn({ buyer: this.buyer, id: this.id, code, err: (err as Error).message }, 'replay failed');
      await this.control({ type: 'error', id: this.id, code, message: (err as Error).message }).catch(() => undefined);
      return 'error';
    }
  }

  private async pump(): Promise<string> {
    for (;;) {
      if (this.cancelled) return 'cancelled';
      const credit = this.window - (this.sent - this.acked);
      if (credit <= 0) {
        if (!(await this.waitForAck())) return 'ack-timeout';
        continue;
      }
      const step = await this.cursor.step(credit);
      // Issued in order and awaited together: the channel publishes through one bus connection,
      // which keeps their order, so a step costs one bus round trip instead of one per entry.
      await Promise.all(
        step.entries.map((e) =>
          this.deps.channel.send(
            this.buyer,
            this.topic,
            asBuffer(encodeEntry(++this.sent, e.offset, e.timestamp, e.value)),
            1,
          ),
        ),
      );
      this.deps.metrics.replayEntries.inc({ channel: 'mqtt' }, step.entries.length);
      if (step.end) return step.end;
    }
  }

  private waitForAck(): Promise<boolean> {
    const before = this.acked;
    return new Promise<boolean>((resolve) => {
      const timer = this.deps.clock.setTimeout(() => done(false), this.deps.ackTimeoutMs);
      const done = (ok: boolean) => {
        this.deps.clock.clearTimeout(timer);
        this.wake = undefined;
        resolve(ok);
      };
      // A repeated or stale ack is no progress: keep waiting (the timer still runs).
      this.wake = () => {
        if (this.acked > before || this.cancelled || this.window - (this.sent - this.acked) > 0) done(true);
      };
    });
  }

  private control(c: Control): Promise<void> {
    return this.deps.channel.send(this.buyer, this.topic, asBuffer(encodeControl(c)), 1);
  }
}
