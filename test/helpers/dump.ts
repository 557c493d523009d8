// Everything the gateway stored, as raw bytes, for "these bytes never contain that secret"
// checks: every record (value, key, headers) of Kafka topics, and every Redis key under a prefix
// with its value read by type (SCAN + TYPE + the matching read command, binary-safe).
import type { Redis } from 'ioredis';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { unique } from './services.ts';

export interface StoredRecord {
  topic: string;
  offset: number;
  value: Buffer;
  /** Key, header names and header values, concatenated. */
  meta: Buffer;
}

/** Every record of each topic, from offset 0 to its high watermark. */
export async function kafkaRecords(brokers: string[], topics: string[]): Promise<StoredRecord[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const want = new Map<string, number>();
  for (const t of topics)
    want.set(
      t,
      (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0),
    );
  await admin.disconnect();
  const total = [...want.values()].reduce((a, b) => a + b, 0);
  const out: StoredRecord[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: unique('dump') });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.entries(message.headers ?? {}).flatMap(([k, v]) => [
          Buffer.from(k),
          ...(Array.isArray(v) ? v : [v]).map((x) => Buffer.from(x ?? '')),
        ]);
        out.push({
          topic,
          offset: Number(message.offset),
          value: message.value ?? Buffer.alloc(0),
          meta: Buffer.concat([message.key ?? Buffer.alloc(0), ...headers]),
        });
        if (out.length === total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out.sort((a, b) => (a.topic === b.topic ? a.offset - b.offset : a.topic < b.topic ? -1 : 1));
}

export interface StoredKey {
  key: string;
  type: string;
  /** The key name and every member, field, value and score, concatenated. */
  bytes: Buffer;
}

async function read(redis: Redis, key: string, type: string): Promise<Buffer[]> {
  switch (type) {
    case 'string':
      return [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
    case 'hash':
      return Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]);
    case 'list':
      return redis.lrangeBuffer(key, 0, -1);
    case 'set':
      return redis.smembersBuffer(key);
    case 'zset':
      return (await redis.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES')) as Buffer[];
    case 'stream':
      return [Buffer.from(JSON.stringify(await redis.xrange(key, '-', '+')))];
    default:
      throw new Error(`redis key ${key} has type ${type}, which this dump does not read`);
  }
}

/** Every key matching `<prefix>*`, with everything stored in it. */
export async function redisDump(redis: Redis, prefix: string): Promise<StoredKey[]> {
  const out: StoredKey[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'none') continue; // expired between SCAN and TYPE
      out.push({ key, type, bytes: Buffer.concat([Buffer.from(key), ...(await read(redis, key, type))]) });
    }
  } while (cursor !== '0');
  return out;
}
