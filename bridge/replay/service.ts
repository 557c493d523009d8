// The MQTT side of replay: receives what a buyer publishes under buyers/<b>/replay/ (requests
// and acks, routed by the broker through BuyerRequestHandler), starts metered replay sessions
// within the concurrency caps, and answers a refused request with an error message.
import type { BuyerChannel, BuyerRequestHandler } from '../../interfaces/layers.ts';
import type { Clock } from '../../lib/clock.ts';
import { buyerTopic, normAddress } from '../../protocol/topics.ts';
import { isItradeError, itradeError, type ItradeError } from '../../protocol/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { BridgeMetrics } from '../metrics.ts';
import { openHistory, type HistoryDeps } from './history.ts';
import { encodeControl, parseAck, parseRequest, requestId } from '../../protocol/replay.ts';
import { ReplaySession } from './session.ts';
import type { ReplaySlots } from './slots.ts';
import { asBuffer } from '../../lib/bytes.ts';

export interface ReplayServiceDeps {
  history: HistoryDeps;
  channel: BuyerChannel;
  slots: ReplaySlots;
  metrics: BridgeMetrics;
  log: Logger;
  defaultWindow: number;
  maxWindow: number;
  ackTimeoutMs: number;
  clock: Clock;
}

export class ReplayService implements BuyerRequestHandler {
  private readonly sessions = new Map<string, ReplaySession>();
  private readonly reserved = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: ReplayServiceDeps) {}

  /** Messages on other topics are not the bridge's and are ignored. */
  async onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void> {
    const b = normAddress(buyer);
    const parts = topic.split('/');
    // A buyer speaks only for itself, whatever topic the broker let through.
    if (parts[0] !== 'buyers' || parts[1] !== b || parts[2] !== 'replay') return;
    if (parts.length === 4 && parts[3] === 'request') return this.onRequest(b, payload);
    if (parts.length === 5 && parts[4] === 'ack') return this.onAck(b, parts[3]!, payload);
  }

  /** Cancels every replay and waits until each has sent its end message. */
  async close(): Promise<void> {
    for (const s of this.sessions.values()) s.onAck({ cancel: true });
    await Promise.allSettled([...this.running]);
  }

  private async onRequest(buyer: string, payload: Buffer): Promise<void> {
    const id = requestId(payload);
    const key = `${buyer}/${id}`;
    let release: (() => void) | undefined;
    let reservedHere = false;
    try {
      const req = parseRequest(payload, this.deps);
      if (this.reserved.has(key))
        throw itradeError('REPLAY_DUPLICATE_ID', `replay ${req.id} is running; the new request was ignored`);
      this.reserved.add(key);
      reservedHere = true;
      release = this.deps.slots.acquire(buyer, 'mqtt');
      const cursor = await openHistory(this.deps.history, {
        buyer,
        sensor: req.sensor,
        from: req.from,
        limit: req.limit,
      });
      const session = new ReplaySession(this.deps, buyer, req.id, req.sensor, cursor, req.window);
      this.sessions.set(key, session);
      this.deps.log.info(
        { buyer, id: req.id, sensor: req.sensor, from: cursor.range.from, end: cursor.range.end },
        'replay started',
      );
      this.track(session, key, release);
    } catch (err) {
      release?.();
      if (reservedHere) this.reserved.delete(key);
      await this.refuse(
        buyer,
        id,
        isItradeError(err) ? err : itradeError('KAFKA_READ_FAILED', (err as Error).message, { cause: err }),
      );
    }
  }

  private track(session: ReplaySession, key: string, release: () => void): void {
    const p = session
      .run()
      .then((reason) => {
        this.deps.metrics.replayEnded.inc({ channel: 'mqtt', reason });
        this.deps.log.info({ buyer: session.buyer, id: session.id, reason }, 'replay ended');
      })
      .finally(() => {
        this.sessions.delete(key);
        this.reserved.delete(key);
        release();
        this.running.delete(p);
      });
    this.running.add(p);
  }

  private onAck(buyer: string, id: string, payload: Buffer): void {
    const session = this.sessions.get(`${buyer}/${id}`);
    if (!session) return; // late ack of an ended replay: nothing to do
    try {
      session.onAck(parseAck(payload, this.deps.maxWindow));
    } catch (err) {
      this.deps.log.info({ buyer, id, err: (err as Error).message }, 'bad replay ack ignored');
    }
  }

  // A duplicate id answers on the error topic, so the running replay's stream stays clean.
  private async refuse(buyer: string, id: string | undefined, err: ItradeError): Promise<void> {
    this.deps.metrics.replayRefused.inc({ channel: 'mqtt', code: err.code });
    this.deps.log.info({ buyer, id, code: err.code }, 'replay refused');
    const where = id === undefined || isItradeError(err, 'REPLAY_DUPLICATE_ID') ? 'error' : id;
    const msg = asBuffer(encodeControl({ type: 'error', id: id ?? null, code: err.code, message: err.message }));
    await this.deps.channel.send(buyer, buyerTopic(buyer, 'replay', where), msg, 1).catch((e: unknown) => {
      this.deps.log.warn({ buyer, id, err: (e as Error).message }, 'replay refusal not delivered');
    });
  }
}
