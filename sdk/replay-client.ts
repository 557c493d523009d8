// The buyer's side of the replay protocol (docs/replay.md): subscribe to the replay's topics,
// publish the request, take entries in order, acknowledge every half window so the gateway keeps
// sending, and finish at the `end` (or `error`) control message.
import type { MqttClient } from 'mqtt';
import { decodeFrame, type Control, type Entry } from '../protocol/replay.ts';
import { buyerTopic } from '../protocol/topics.ts';
import { errorFromCode, itradeError, type ItradeError } from '../protocol/errors.ts';
import { toHex } from '../protocol/bytes.ts';
import { randomBytes } from './crypto/random.ts';

export interface ReplayOptions {
  from?: { timestamp: number } | { offset: number };
  limit?: number;
  /** Entries the gateway may send before an ack (default 100). */
  window?: number;
  /** Give up when nothing arrives for this long (default 30 s). */
  idleTimeoutMs?: number;
}

export interface ReplayOutcome {
  id: string;
  /** Offsets covered: from .. end (exclusive), as the gateway announced them. */
  from?: number;
  end?: number;
  reason: string;
  sent: number;
  /** The offset to continue from. */
  next?: number;
  entries: number;
}

function controlError(c: Extract<Control, { type: 'error' }>): ItradeError {
  return errorFromCode(c.code, `replay refused: ${c.message}`, 'SIM_GATEWAY_REFUSED');
}

/**
 * Replays one sensor's history; `onEntry` is awaited for each entry in order (decrypt it there).
 * Rejects with the gateway's error code when the replay is refused or breaks off.
 */
export async function replayHistory(
  client: MqttClient,
  buyer: string,
  sensor: string,
  o: ReplayOptions,
  onEntry: (e: Entry) => Promise<void> | void,
): Promise<ReplayOutcome> {
  const id = `r${toHex(randomBytes(6))}`;
  const topic = buyerTopic(buyer, 'replay', id);
  const errors = buyerTopic(buyer, 'replay', 'error');
  const window = o.window ?? 100;
  const out: ReplayOutcome = { id, reason: '', sent: 0, entries: 0 };
  await client.subscribeAsync([topic, errors], { qos: 1 });
  let chain = Promise.resolve();
  let acked = 0;
  const done = new Promise<ReplayOutcome>((resolve, reject) => {
    let idle: ReturnType<typeof setTimeout>;
    const finish = (err?: Error) => {
      clearTimeout(idle);
      client.removeListener('message', onMessage);
      void client.unsubscribeAsync([topic, errors]).catch(() => undefined);
      if (err) reject(err);
      else resolve(out);
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          finish(
            itradeError(
              'SIM_GATEWAY_UNREACHABLE',
              `replay ${id}: nothing from the gateway for ${o.idleTimeoutMs ?? 30_000} ms`,
            ),
          ),
        o.idleTimeoutMs ?? 30_000,
      );
    };
    const onControl = (c: Control) => {
      if (c.type === 'started') Object.assign(out, { from: c.from, end: c.end });
      else if (c.type === 'end') {
        Object.assign(out, { reason: c.reason, sent: c.sent, next: c.next });
        finish();
      } else finish(controlError(c));
    };
    const onEntryFrame = async (e: Entry) => {
      await onEntry(e);
      out.entries++;
      if (e.seq - acked >= Math.max(1, Math.floor(window / 2))) {
        acked = e.seq;
        await client.publishAsync(`${topic}/ack`, JSON.stringify({ ack: e.seq }), { qos: 1 });
      }
    };
    const onMessage = (t: string, payload: Uint8Array) => {
      if (t !== topic && t !== errors) return;
      arm();
      let f: ReturnType<typeof decodeFrame>;
      try {
        f = decodeFrame(payload);
      } catch {
        return finish(itradeError('SIM_GATEWAY_REFUSED', `replay ${id}: a message that is neither an entry nor JSON`));
      }
      if ('control' in f && t === errors && f.control.id !== id) return; // another replay's refusal
      // In order: a control message waits for the entries before it.
      chain = chain
        .then(() => ('entry' in f ? onEntryFrame(f.entry) : onControl(f.control)))
        .catch((err: Error) => finish(err));
    };
    client.on('message', onMessage);
    arm();
  });
  const req = {
    id,
    sensor: sensor.toLowerCase(),
    window,
    ...(o.from ? { from: o.from } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
  };
  await client.publishAsync(buyerTopic(buyer, 'replay', 'request'), JSON.stringify(req), { qos: 1 });
  return done;
}
