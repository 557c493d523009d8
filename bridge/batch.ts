// The write-through's unit of work (bridge/writer.ts): a publish waiting for Kafka, and how the
// next batch is cut from the queue of them.
import type { ItradeError } from '../protocol/errors.ts';
import type { Fifo } from './fifo.ts';
import type { AppendRecord } from './log-store.ts';

export interface Pending {
  record: AppendRecord;
  qos: 0 | 1 | 2;
  since: number; // performance.now() when accepted
  resolve(offset: number): void;
  reject(err: ItradeError): void;
  /** Its identity in the ResendIndex (QoS 1 and 2 only: a QoS 0 publish is never sent again). */
  key?: string;
  copies?: { resolve(offset: number): void; reject(err: Error): void }[];
}

/**
 * The oldest publishes of `queue`, in order: at most `maxEntries`, and at most `maxBytes` of
 * payload unless the first alone is larger (it leaves on its own then, or it would never leave).
 */
export function takeBatch(queue: Fifo<Pending>, maxEntries: number, maxBytes: number): Pending[] {
  const batch: Pending[] = [];
  let bytes = 0;
  while (queue.length > 0 && batch.length < maxEntries) {
    const size = queue.peek()!.record.value.length;
    if (batch.length > 0 && bytes + size > maxBytes) break;
    batch.push(queue.shift()!);
    bytes += size;
  }
  return batch;
}
