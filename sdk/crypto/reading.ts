// The reading inside an envelope's ciphertext: one small JSON object with fixed keys, so a
// constrained device can build it with snprintf and a buyer can read it in any language.
//   {"seq":42,"ts":1767225600123,"type":0,"value":21.37,"unit":"Cel"}
// seq: the device's counter (gaps show lost entries), ts: device clock in ms since the epoch (the
// buyer measures latency against it), type: the on-chain sensor type (uint16), value: a finite
// number, unit: a SenML unit name [RFC 8428 12.1] (docs/envelope.md lists the built-in types).
import { itradeError } from '../../protocol/errors.ts';
import { fromUtf8, utf8 } from '../../protocol/bytes.ts';

export interface Reading {
  seq: number;
  ts: number;
  type: number;
  value: number;
  unit: string;
}

/** The four built-in sensor types of the contract (docs/contracts-api.md) and their units. */
export const SENSOR_TYPES = {
  0: { name: 'temperature', unit: 'Cel' },
  1: { name: 'humidity', unit: '%RH' },
  2: { name: 'air-pollution', unit: 'ug/m3' }, // PM2.5 mass concentration
  3: { name: 'water-pollution', unit: 'NTU' }, // turbidity
} as const;

export type BuiltInSensorType = keyof typeof SENSOR_TYPES;

const MAX_READING_BYTES = 4096;
const UNIT = /^[\x20-\x7e]{1,16}$/;

function fail(field: string, why: string): never {
  throw itradeError('CRYPTO_READING_INVALID', `reading field "${field}" ${why}`);
}

function checkInt(r: Record<string, unknown>, field: string, max: number): number {
  const v = r[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    fail(field, `must be an integer in 0..${max}`);
  return v;
}

/** Validates a reading; extra fields are tolerated (newer devices) and dropped. */
export function checkReading(r: unknown): Reading {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail('(root)', 'must be a JSON object');
  const o = r as Record<string, unknown>;
  const seq = checkInt(o, 'seq', Number.MAX_SAFE_INTEGER);
  const ts = checkInt(o, 'ts', Number.MAX_SAFE_INTEGER);
  const type = checkInt(o, 'type', 0xffff);
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) fail('value', 'must be a finite number');
  if (typeof o.unit !== 'string' || !UNIT.test(o.unit)) fail('unit', 'must be 1 to 16 printable ASCII characters');
  return { seq, ts, type, value: o.value, unit: o.unit };
}

export function encodeReading(r: Reading): Uint8Array {
  const ok = checkReading(r);
  return utf8(JSON.stringify({ seq: ok.seq, ts: ok.ts, type: ok.type, value: ok.value, unit: ok.unit }));
}

export function decodeReading(bytes: Uint8Array): Reading {
  if (bytes.length > MAX_READING_BYTES) fail('(root)', `is ${bytes.length} bytes; at most ${MAX_READING_BYTES}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    fail('(root)', 'is not JSON');
  }
  return checkReading(parsed);
}
