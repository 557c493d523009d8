// A buyer's stream in the page: the SDK's Buyer over MQTT/WebSocket with the principal key kept
// in this browser; keys through the key exchange, live entries and history, decrypted here.
// Readings and notices go into signals the sensor page draws.
import { signal } from '@preact/signals';
import { Buyer, type BuyerReading, type Notice } from '../../sdk/index.ts';
import { gql } from './api.ts';
import { LocalKeyrings, principalKey } from './keys.ts';
import type { Session } from './state.ts';

export interface Row {
  source: string;
  keyId: number;
  seq: number;
  ts: number;
  value: number;
  unit: string;
}

export const readings = signal<Row[]>([]);
export const notices = signal<Notice[]>([]);
export const entriesLeft = signal<number | undefined>(undefined);
/** The gateway's last word: entries paid and delivered (left is entriesLeft). */
export const entriesPaid = signal<{ paid: number; delivered: number } | undefined>(undefined);
let buyer: Buyer | undefined;
let watching: string | undefined;

function received(r: BuyerReading): void {
  const { seq, ts, value, unit } = r.reading;
  readings.value = [...readings.value, { source: r.source, keyId: r.keyId, seq, ts, value, unit }];
  if (r.source === 'live' && entriesLeft.value !== undefined) entriesLeft.value = Math.max(0, entriesLeft.value - 1);
}

/**
 * The entries paid for `sensor` (the chain's word through the gateway), counted down here by each
 * live reading. Not the meter's `left`: the broker leases entries ahead of delivery in batches,
 * so the meter counts a batch as delivered before the buyer has it.
 */
export async function refreshLeft(s: Session, sensor: string): Promise<void> {
  const q = '{ me { subscriptions { sensor { address } entries { paid delivered left } } } }';
  type Entries = { paid: number; delivered: number; left: number };
  const d = await gql<{ me: { subscriptions: { sensor: { address: string }; entries: Entries }[] } }>(q, {}, s.token);
  const e = d.me.subscriptions.find((b) => b.sensor.address === sensor)?.entries;
  entriesLeft.value = e && Math.max(0, e.paid - readings.value.filter((r) => r.source === 'live').length);
  entriesPaid.value = e && { paid: e.paid, delivered: e.delivered };
}

/** Connects (once), gets the sensor's keys from the seller's agent and subscribes to it live. */
export async function watch(s: Session, mqttUrl: string, sensor: string): Promise<void> {
  if (watching === sensor) return;
  await unwatch();
  buyer = await Buyer.connect({
    url: mqttUrl,
    buyer: s.principal,
    token: s.token,
    principalKey: await principalKey(s.account),
    keyrings: new LocalKeyrings('buyer'),
    onReading: received,
    onNotice: (n) => (notices.value = [...notices.value, n]),
  });
  watching = sensor;
  await buyer.fetchKeys(sensor);
  await buyer.subscribe(sensor);
}

/** Replays the sensor's history from the subscription's start into the same chart. */
export async function history(sensor: string, fromMs: number): Promise<number> {
  if (!buyer) throw new Error('subscribe first');
  return (await buyer.replay(sensor, { from: { timestamp: fromMs } })).sent;
}

export async function unwatch(): Promise<void> {
  await buyer?.close();
  buyer = undefined;
  watching = undefined;
  readings.value = [];
  notices.value = [];
  entriesLeft.value = undefined;
}

export function csv(rows: Row[]): string {
  const lines = rows.map((r) => [r.source, r.keyId, r.seq, new Date(r.ts).toISOString(), r.value, r.unit].join(','));
  return ['source,keyId,seq,time,value,unit', ...lines].join('\n') + '\n';
}
