// Recognising a device's resend of a publish the bridge already took (docs/bridge.md "Exactly
// once, at least once"). When the broker refuses a publish it closes the client's connection, so
// the PUBACKs of that client's publishes still in the buffer never reach it; Kafka gets them
// anyway once it is back, and the device sends them again when it reconnects [MQTT-4.4.0-1].
// kafkajs' idempotent producer cannot drop those copies: each is a new publish, accepted anew.
// So the writer asks here first: a copy of a buffered publish waits for the original's offset,
// a copy of a recently written one gets its offset at once; neither is written again.
//
// Identity is the bytes: every payload is an envelope (docs/envelope.md) with a fresh 96-bit
// nonce and a 128-bit GCM tag, so two publishes with the same sensor and bytes are one envelope
// sent twice. A reading's envelope is ~100 bytes: the key is the payload's bytes themselves (a
// latin1 string: one copy, ~0.1 us; never the Buffer, which may be a slice of a large socket
// chunk). A larger payload is keyed by its SHA-256 (a few us, beside what its size costs anyway).
import { createHash } from 'node:crypto';

/** Payloads up to this size are their own key. */
const INLINE_BYTES = 256;

/** The identity of a payload on a topic (see the file header). */
export function resendKey(topic: string, payload: Buffer): string {
  if (payload.length <= INLINE_BYTES) return `${topic}\n${payload.toString('latin1')}`;
  return `${topic}\n${payload.length}\n${createHash('sha256').update(payload).digest('base64')}`;
}

/** What a publish waiting for Kafka needs to tell a resend of it the outcome. */
export interface Waiting {
  resolve(offset: number): void;
  reject(err: Error): void;
  /** Resends of this publish taken meanwhile: they settle with it. */
  copies?: { resolve(offset: number): void; reject(err: Error): void }[];
}

export class ResendIndex {
  private readonly pending = new Map<string, Waiting>();
  private readonly written = new Map<string, number>();
  /**
   * The written keys in the order they went in, to forget the oldest: a ring, because taking the
   * first key of a Map that is used as a queue scans the deleted slots at its front (~30 us each).
   */
  private readonly order: (string | undefined)[] = [];
  private next = 0;

  /** `keep`: written entries still recognised; 0 keeps none (buffered ones are always recognised). */
  constructor(private readonly keep: number) {}

  get size(): number {
    return this.written.size + this.pending.size;
  }

  /** A copy of a buffered or recently written publish: its offset, when known, or a promise of it. */
  lookup(key: string): Promise<number> | undefined {
    const offset = this.written.get(key);
    if (offset !== undefined) return Promise.resolve(offset);
    const w = this.pending.get(key);
    if (!w) return undefined;
    return new Promise<number>((resolve, reject) => (w.copies ??= []).push({ resolve, reject }));
  }

  /** A publish taken into the buffer. */
  add(key: string, w: Waiting): void {
    if (!this.pending.has(key)) this.pending.set(key, w);
  }

  /** Kafka acknowledged the publish at `offset`: copies taken meanwhile resolve with it. */
  wrote(key: string, w: Waiting, offset: number): void {
    if (this.pending.get(key) === w) this.pending.delete(key);
    if (w.copies) for (const c of w.copies) c.resolve(offset);
    this.remember(key, offset);
  }

  /** The publish is in the log at `offset` (written here, or found there): recognised from now on. */
  remember(key: string, offset: number): void {
    if (this.keep === 0) return;
    const oldest = this.order[this.next];
    if (oldest !== undefined) this.written.delete(oldest);
    this.order[this.next] = key;
    this.next = (this.next + 1) % this.keep;
    this.written.set(key, offset);
  }

  /** The publish was refused for good (or the bridge closed): its copies are refused too. */
  failed(key: string, w: Waiting, err: Error): void {
    if (this.pending.get(key) === w) this.pending.delete(key);
    if (w.copies) for (const c of w.copies) c.reject(err);
  }
}
