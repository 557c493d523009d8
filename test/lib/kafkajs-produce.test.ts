// Canary for lib/kafkajs-produce.ts, the repair of kafkajs' Produce request encoding. On kafkajs'
// real modules:
// - the broker's request look-up (the one kafkajs' producer goes through) builds with the repair;
// - the repair writes exactly the bytes kafkajs' own encoder writes, on every case the bridge can
//   make and its edges (varint lengths, negative and large timestamp deltas, no timestamps,
//   transactions, several topics and partitions, a growing buffer);
// - requests it does not take (compression, other value types) are kafkajs' own, byte for byte;
// - kafkajs' own encoder still makes a zero-filled buffer per record (when this fails, kafkajs
//   changed its encoder: measure again whether the repair is still worth having).
// The LogStore contract suite (test/bridge/log-store.contract.ts) writes through it to a real Kafka.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../lib/kafkajs.ts';
import {
  Produce,
  encodeProduce,
  handled,
  originalProtocol,
  protocol,
  type ProduceArgs,
  type ProduceMessage,
} from '../../lib/kafkajs-produce.ts';

const require = createRequire(import.meta.url);
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): { toString(): string } };
const requests = require('kafkajs/src/protocol/requests/index.js') as {
  lookup(v: object): (apiKey: number, def: object) => (a: ProduceArgs) => { request: { encode(): Promise<unknown> } };
  requests: { Produce: object };
};
const PRODUCE_API_KEY = 0;

async function kafkajsBytes(args: ProduceArgs, version = 7): Promise<Buffer> {
  const e = (await originalProtocol({ version })(args).request.encode()) as { buffer: Buffer };
  return e.buffer;
}

function args(topicData: ProduceArgs['topicData'], extra: Partial<ProduceArgs> = {}): ProduceArgs {
  return {
    acks: -1,
    timeout: 30000,
    compression: 0,
    producerId: Long.fromInt(4711),
    producerEpoch: 2,
    topicData,
    ...extra,
  };
}

function one(messages: ProduceMessage[], firstSequence?: number): ProduceArgs {
  return args([{ topic: 'itrade.0xabc', partitions: [{ partition: 0, firstSequence, messages }] }]);
}

const T = 1796324516000;
const msg = (i: number, extra: Partial<ProduceMessage> = {}): ProduceMessage => ({
  key: '0xabc',
  value: Buffer.alloc(40 + i, i),
  headers: { traceparent: `00-${i}` },
  timestamp: String(T + i),
  ...extra,
});

const cases: [string, ProduceArgs][] = [
  ['one record as the bridge writes it', one([msg(1)], 17)],
  [
    'several records, string and Buffer keys, a null key, no headers',
    one([msg(1), msg(2, { key: Buffer.from('k') }), msg(3, { key: null, headers: {} })]),
  ],
  [
    'Buffer header values and a UTF-8 topic, key and header',
    args([
      {
        topic: 'sensör',
        partitions: [
          { partition: 3, messages: [msg(1, { key: 'clé', headers: { ü: Buffer.from([0, 255]), b: 'ß' } })] },
        ],
      },
    ]),
  ],
  [
    'varint record lengths of 1, 2 and 3 bytes (a growing buffer)',
    one([
      msg(0, { value: Buffer.alloc(10) }),
      msg(1, { value: Buffer.alloc(300) }),
      msg(2, { value: Buffer.alloc(20000, 7) }),
    ]),
  ],
  [
    'numeric timestamps, sorted as strings as kafkajs sorts them (a negative delta)',
    one([msg(1, { timestamp: 1000 }), msg(2, { timestamp: 999 }), msg(3, { timestamp: 1001 })]),
  ],
  ['a timestamp delta beyond 32 bits', one([msg(1, { timestamp: '1' }), msg(2, { timestamp: String(T) })])],
  [
    'several topics and partitions',
    args([
      {
        topic: 'a',
        partitions: [
          { partition: 0, messages: [msg(1)] },
          { partition: 1, firstSequence: 9, messages: [msg(2), msg(3)] },
        ],
      },
      { topic: 'b', partitions: [{ partition: 0, messages: [msg(4)] }] },
    ]),
  ],
  [
    'a transactional request',
    args([{ topic: 'a', partitions: [{ partition: 0, messages: [msg(1)] }] }], { transactionalId: 'tx-1' }),
  ],
  [
    'no producer id (kafkajs default -1) and acks 1',
    { acks: 1, timeout: 500, topicData: [{ topic: 'a', partitions: [{ partition: 0, messages: [msg(1)] }] }] },
  ],
];

for (const [name, a] of cases) {
  test(`same bytes as kafkajs: ${name}`, async () => {
    assert.ok(handled(a), 'the repair should take this request');
    assert.equal(encodeProduce(a), await kafkajsBytes(a));
  });
}

// Without timestamps both encoders read the clock: a fixed one, or a millisecond could pass between them.
for (const [name, a] of [
  ['records without timestamps', one([msg(1, { timestamp: undefined }), msg(2, { timestamp: null })])],
  ['an empty partition', one([])],
] as [string, ProduceArgs][]) {
  test(`same bytes as kafkajs: ${name} (both read the same clock)`, async () => {
    const realNow = Date.now;
    Date.now = () => T;
    try {
      assert.equal(encodeProduce(a), await kafkajsBytes(a));
    } finally {
      Date.now = realNow;
    }
  });
}

test("kafkajs' broker look-up builds Produce requests with the repair, v3 to v7", async () => {
  assert.is(Produce.protocol, protocol);
  assert.is(requests.requests.Produce, Produce, 'kafkajs looks Produce up in another module: review the repair');
  const a = one([msg(1), msg(2)]);
  for (const version of [3, 5, 7]) {
    const build = requests.lookup({ [PRODUCE_API_KEY]: { minVersion: 0, maxVersion: version } })(
      PRODUCE_API_KEY,
      Produce,
    );
    const e = (await build(a).request.encode()) as { buffer: Buffer };
    assert.equal(e.buffer, encodeProduce(a), `v${version}`);
  }
});

test("requests the repair does not take are kafkajs' own", async () => {
  const gzip = args([{ topic: 'a', partitions: [{ partition: 0, messages: [msg(1)] }] }], { compression: 1 });
  const listed = one([msg(1, { headers: { h: ['x', 'y'] } })]);
  const text = one([msg(1, { value: 'plain text' })]);
  for (const a of [gzip, listed, text]) {
    assert.not.ok(handled(a));
    const viaRepair = (await protocol({ version: 7 })(a).request.encode()) as { buffer: Buffer };
    assert.equal(viaRepair.buffer, await kafkajsBytes(a));
  }
});

test("kafkajs' own encoder still makes a zero-filled buffer per record (else measure the repair again)", async () => {
  const realAlloc = Buffer.alloc;
  let allocs = 0;
  Buffer.alloc = ((size: number, ...rest: []) => {
    allocs++;
    return realAlloc(size, ...rest);
  }) as typeof Buffer.alloc;
  try {
    await kafkajsBytes(one(Array.from({ length: 20 }, (_, i) => msg(i))));
  } finally {
    Buffer.alloc = realAlloc;
  }
  assert.ok(allocs >= 20, `kafkajs allocated ${allocs} zeroed buffers for 20 records`);
});

test.run();
