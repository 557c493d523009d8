// The replay wire protocol for plain MQTT 3.1.1 clients (docs/replay.md). MQTT 3.1.1 has no
// message properties, so an entry carries its Kafka offset and timestamp in a fixed binary
// header before the untouched payload; control messages are JSON objects. The first byte tells
// them apart: 0x01 an entry, '{' (0x7b) a control message.
import { isAddress, normAddress } from './topics.ts';
import { itradeError } from './errors.ts';
import { fromUtf8, utf8, view } from './bytes.ts';

export const ENTRY_MAGIC = 0x01;
/** type (1) + sequence (u32) + offset (u64) + timestamp ms (u64), big-endian. */
export const ENTRY_HEADER_BYTES = 21;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Ids a replay may not take, because they name the other topics under buyers/<b>/replay/. */
export const RESERVED_IDS = new Set(['request', 'error']);

export type From = { timestamp: number } | { offset: number };

export interface ReplayRequest {
  id: string;
  sensor: string;
  from?: From;
  window: number;
  limit?: number;
}

export interface ReplayAck {
  ack?: number;
  window?: number;
  cancel?: boolean;
}

export type Control =
  | { type: 'started'; id: string; sensor: string; from: number; end: number; window: number }
  | { type: 'end'; id: string; reason: string; sent: number; next: number }
  | { type: 'error'; id: string | null; code: string; message: string };

export interface Entry {
  seq: number;
  offset: number;
  timestamp: number;
  payload: Uint8Array;
}

export function encodeEntry(seq: number, offset: number, timestamp: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER_BYTES + payload.length);
  const v = view(out);
  v.setUint8(0, ENTRY_MAGIC);
  v.setUint32(1, seq);
  v.setBigUint64(5, BigInt(offset));
  v.setBigUint64(13, BigInt(timestamp));
  out.set(payload, ENTRY_HEADER_BYTES);
  return out;
}

/** For clients and tests: an entry frame, or the control message. */
export function decodeFrame(buf: Uint8Array): { entry: Entry } | { control: Control } {
  if (buf.length >= ENTRY_HEADER_BYTES && buf[0] === ENTRY_MAGIC) {
    const v = view(buf);
    return {
      entry: {
        seq: v.getUint32(1),
        offset: Number(v.getBigUint64(5)),
        timestamp: Number(v.getBigUint64(13)),
        payload: buf.subarray(ENTRY_HEADER_BYTES),
      },
    };
  }
  return { control: JSON.parse(fromUtf8(buf)) as Control };
}

export function encodeControl(c: Control): Uint8Array {
  return utf8(JSON.stringify(c));
}

function bad(detail: string): never {
  throw itradeError('REPLAY_BAD_REQUEST', detail);
}

function parseJsonObject(payload: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(payload));
  } catch {
    bad(`${what}: not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${what}: must be a JSON object`);
  return v as Record<string, unknown>;
}

function uint(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(`${field}: must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return v;
}

export function parseFrom(v: unknown): From | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) bad('from: must be {"timestamp": ms} or {"offset": n}');
  const keys = Object.keys(v);
  const o = v as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'timestamp') return { timestamp: uint(o.timestamp, 'from.timestamp', 0) };
  if (keys.length === 1 && keys[0] === 'offset') return { offset: uint(o.offset, 'from.offset', 0) };
  bad('from: must be {"timestamp": ms} or {"offset": n}');
}

export function parseSensor(v: unknown): string {
  if (typeof v !== 'string' || !isAddress(normAddress(v)))
    bad(`sensor: must be a 0x address (got ${JSON.stringify(v)})`);
  return normAddress(v);
}

/** The id of a request, if it has a usable one: errors go to that replay's topic then. */
export function requestId(payload: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(fromUtf8(payload)) as { id?: unknown }).id;
    return typeof id === 'string' && ID.test(id) && !RESERVED_IDS.has(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export function parseRequest(payload: Uint8Array, limits: { defaultWindow: number; maxWindow: number }): ReplayRequest {
  const o = parseJsonObject(payload, 'replay request');
  const unknown = Object.keys(o).filter((k) => !['id', 'sensor', 'from', 'window', 'limit'].includes(k));
  if (unknown.length > 0) bad(`unknown field ${unknown[0]} (allowed: id, sensor, from, window, limit)`);
  if (typeof o.id !== 'string' || !ID.test(o.id) || RESERVED_IDS.has(o.id))
    bad('id: must be 1-64 letters, digits, _ or - (not "request" or "error")');
  const req: ReplayRequest = {
    id: o.id,
    sensor: parseSensor(o.sensor),
    window: o.window === undefined ? limits.defaultWindow : uint(o.window, 'window', 1, limits.maxWindow),
  };
  const from = parseFrom(o.from);
  if (from) req.from = from;
  if (o.limit !== undefined) req.limit = uint(o.limit, 'limit', 1);
  return req;
}

export function parseAck(payload: Uint8Array, maxWindow: number): ReplayAck {
  const o = parseJsonObject(payload, 'replay ack');
  const ack: ReplayAck = {};
  if (o.ack !== undefined) ack.ack = uint(o.ack, 'ack', 0);
  if (o.window !== undefined) ack.window = uint(o.window, 'window', 1, maxWindow);
  if (o.cancel !== undefined) ack.cancel = o.cancel === true;
  return ack;
}
