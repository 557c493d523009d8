// The real services answer the way the gateway will use them: kafkajs against Kafka 4.x
// (create topic, idempotent acks=all produce, consume, offsets by timestamp), Redis through
// ioredis, and the local chain through ethers.
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mined } from '../../contracts/client.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();

test('kafka: create a topic, produce with acks=all, consume in order, find offsets by timestamp', async () => {
  const kafka = new Kafka({ brokers: svc.kafkaBrokers, clientId: unique('it'), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  const consumer = kafka.consumer({ groupId: unique('g') });
  const topic = unique('roundtrip');
  try {
    await admin.connect();
    assert.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }));
    await producer.connect();
    const t0 = Date.now() - 60_000;
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: 'sensor',
      value: Buffer.from([i, 255 - i]),
      timestamp: String(t0 + i * 1000),
      headers: { n: String(i) },
    }));
    await producer.send({ topic, acks: -1, messages });

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(
      offsets.map((o) => [o.partition, o.low, o.high]),
      [[0, '0', '10']],
    );
    const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 4500);
    assert.equal(byTs, [{ partition: 0, offset: '5' }]);
    const afterAll = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 60_000);
    assert.equal(afterAll, [{ partition: 0, offset: '10' }]);

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { v: number[]; ts: string; n: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${got.length} of 10`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push({ v: [...message.value!], ts: message.timestamp, n: message.headers!.n!.toString() });
          if (got.length === 10) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    assert.equal(
      got.map((g) => g.v),
      messages.map((m) => [...m.value]),
    );
    assert.equal(
      got.map((g) => g.ts),
      messages.map((m) => m.timestamp),
    );
    assert.equal(
      got.map((g) => g.n),
      messages.map((m) => m.headers.n),
    );
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('redis: ioredis round trip, atomic counter, key expiry', async () => {
  const redis = new Redis(svc.redisUrl);
  const key = unique('itrade-test');
  try {
    assert.is(await redis.ping(), 'PONG');
    await redis.set(key, 'v', 'PX', 60_000);
    assert.is(await redis.get(key), 'v');
    const counts = await Promise.all(Array.from({ length: 20 }, () => redis.incr(`${key}:n`)));
    assert.equal(
      [...counts].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const ttl = await redis.pttl(key);
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
  } finally {
    await redis.del(key, `${key}:n`);
    redis.disconnect();
  }
});

test('chain: chain id and a funded transfer between two new accounts', async () => {
  const provider = new JsonRpcProvider(svc.rpcUrl, undefined, { staticNetwork: true });
  try {
    const net = await provider.getNetwork();
    assert.is(net.chainId, 31337n);
    const from = Wallet.createRandom().connect(provider);
    const to = Wallet.createRandom();
    // anvil_setBalance funds a fresh key without touching the shared dev accounts' nonces.
    await provider.send('anvil_setBalance', [from.address, '0x' + parseEther('10').toString(16)]);
    const tx = await from.sendTransaction({ to: to.address, value: parseEther('1.5') });
    const receipt = await mined(tx);
    assert.is(receipt?.status, 1);
    assert.is(await provider.getBalance(to.address), parseEther('1.5'));
    const fee = receipt!.gasUsed * receipt!.gasPrice;
    assert.is(await provider.getBalance(from.address), parseEther('10') - parseEther('1.5') - fee);
  } finally {
    provider.destroy();
  }
});

test.run();
