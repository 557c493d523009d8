// The third repair of kafkajs 2.2.4 (lib/kafkajs.ts applies it): the Produce request's encoding.
// kafkajs builds a Produce request (src/protocol/requests/produce/v3/request.js, which v4-v7
// reuse) as a tree of Encoder objects, one per topic, partition, record batch, record and header,
// each on a fresh zero-filled 512-byte Buffer, joined by copies and an await at every level: 1.1 ms
// for 30 topics of 2 records on the development machine, and 10 % of a gateway's CPU samples under
// the paper workload (one topic per sensor, so a request carries many small batches). This writes
// the same bytes in one pass into one buffer. It takes the requests the bridge makes (no
// compression; keys strings, Buffers or null; values Buffers; header values strings or Buffers);
// any other goes to kafkajs' own encoder. test/lib/kafkajs-produce.test.ts compares the bytes of
// both on the same requests, and the LogStore contract suite writes through it to a real Kafka.
import { createRequire } from 'node:module';
import { ByteWriter } from './byte-writer.ts';

/** A message as kafkajs' producer hands it to the Produce request (src/producer/sendMessages.js). */
export interface ProduceMessage {
  key?: string | Buffer | null;
  value: unknown;
  headers?: Record<string, unknown>;
  timestamp?: string | number | null;
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  compression?: number;
  transactionalId?: string | null;
  producerId?: { toString(): string };
  producerEpoch?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}

interface RequestDefinition {
  request: { apiKey: number; apiVersion: number; encode(): Promise<unknown> };
  response: unknown;
}

type Build = (args: ProduceArgs) => RequestDefinition;

const require = createRequire(import.meta.url);
/** kafkajs' Produce definitions: `protocol({ version })` gives the builder of that version. */
export const Produce = require('kafkajs/src/protocol/requests/produce/index.js') as {
  versions: string[];
  protocol(q: { version: number }): Build;
};
const Encoder = require('kafkajs/src/protocol/encoder.js') as new (size?: number) => { buf: Buffer; offset: number };
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

/** kafkajs' own `protocol` (the canary shows its encoding still allocates per record). */
export const originalProtocol = Produce.protocol;

const MAGIC_BYTE = 2; // record batch format v2 (Kafka protocol guide, "Record Batch")
const TRANSACTIONAL = 16; // attributes bit 4
const NO_COMPRESSION = 0;

/** True when `encodeProduce` writes this request (else kafkajs' encoder does). */
export function handled(args: ProduceArgs): boolean {
  if ((args.compression ?? NO_COMPRESSION) !== NO_COMPRESSION) return false;
  for (const t of args.topicData)
    for (const p of t.partitions)
      for (const m of p.messages) {
        if (!Buffer.isBuffer(m.value)) return false;
        if (m.key != null && typeof m.key !== 'string' && !Buffer.isBuffer(m.key)) return false;
        if (!timestampOk(m.timestamp)) return false;
        for (const v of Object.values(m.headers ?? {})) if (typeof v !== 'string' && !Buffer.isBuffer(v)) return false;
      }
  return true;
}

function timestampOk(t: unknown): boolean {
  if (t == null) return true;
  if (typeof t === 'number') return Number.isSafeInteger(t);
  return typeof t === 'string' && /^\d{1,15}$/.test(t);
}

/** The Produce request body (v3-v7 have one layout), byte for byte as kafkajs writes it. */
export function encodeProduce(args: ProduceArgs): Buffer {
  const w = new ByteWriter(4096);
  w.string(args.transactionalId ?? null);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(args.topicData.length);
  for (const t of args.topicData) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partition);
      recordSet(w, args, p.firstSequence ?? 0, p.messages);
    }
  }
  return w.done();
}

// int32 size, then the batch: base offset, length, leader epoch, magic, CRC-32C of the rest.
function recordSet(w: ByteWriter, args: ProduceArgs, firstSequence: number, messages: ProduceMessage[]): void {
  const sizeAt = w.skip(4);
  const start = w.length;
  w.int64(0n); // base offset: the broker assigns it
  const lengthAt = w.skip(4);
  w.int32(0); // partition leader epoch
  w.int8(MAGIC_BYTE);
  const crcAt = w.skip(4);
  const bodyAt = w.length;
  batchBody(w, args, firstSequence, messages);
  w.uint32At(crcAt, crc32C(w.slice(bodyAt)));
  w.int32At(lengthAt, w.length - lengthAt - 4);
  w.int32At(sizeAt, w.length - start);
}

function batchBody(w: ByteWriter, args: ProduceArgs, firstSequence: number, messages: ProduceMessage[]): void {
  const now = Date.now();
  // As kafkajs: the timestamps given, sorted as strings are (Array#sort without a comparator).
  const given = messages.map((m) => m.timestamp).filter((t) => t != null) as (string | number)[];
  const sorted = given.length === 0 ? [now] : given.sort();
  const first = sorted[0]!;
  w.int16(args.transactionalId ? TRANSACTIONAL : 0);
  w.int32(messages.length - 1); // last offset delta
  w.int64(BigInt(first));
  w.int64(BigInt(sorted[sorted.length - 1]!));
  w.int64(BigInt(args.producerId?.toString() ?? '-1'));
  w.int16(args.producerEpoch ?? 0);
  w.int32(firstSequence);
  w.int32(messages.length);
  messages.forEach((m, i) => record(w, m, i, Number(m.timestamp || now) - Number(first)));
}

// Record: varint length, attributes, varlong timestamp delta, varint offset delta, key, value, headers.
function record(w: ByteWriter, m: ProduceMessage, offsetDelta: number, timestampDelta: number): void {
  const lengthAt = w.length;
  w.skip(5); // the longest varint of a record's length; moved back once the length is known
  const start = w.length;
  w.int8(0);
  w.varLong(timestampDelta);
  w.varInt(offsetDelta);
  w.varBytes(m.key ?? null);
  w.varBytes(m.value as Buffer);
  const headers = Object.entries(m.headers ?? {}) as [string, string | Buffer][];
  w.varInt(headers.length);
  for (const [k, v] of headers) {
    w.varBytes(k);
    w.varBytes(v);
  }
  w.closeVarIntLength(lengthAt, start);
}

/** Builders of Produce v3 and later write with encodeProduce; the rest is kafkajs' own. */
export function protocol(q: { version: number }): Build {
  const build = originalProtocol(q);
  if (q.version < 3) return build;
  return (args) => {
    const def = build(args);
    if (!handled(args)) return def;
    def.request.encode = async () => {
      // kafkajs' request framing takes an Encoder (src/protocol/request.js, writeEncoder).
      const e = new Encoder(1);
      e.buf = encodeProduce(args);
      e.offset = e.buf.length;
      return e;
    };
    return def;
  };
}

Produce.protocol = protocol;
