// The bench's Kafka part (bench/kafka-alone.ts) in a smoke size on the test stack's Kafka: every
// write scheduled in the measured part is timed once, and its topics are gone afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { kafkaAlone } from '../../bench/kafka-alone.ts';
import { services } from '../helpers/services.ts';

const { kafkaBrokers } = services();

test('open loop: topics x rate x duration writes timed, none failed, topics deleted', async () => {
  const kafka = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = await kafkaAlone({
      brokers: kafkaBrokers,
      topics: 3,
      ratePerTopic: 50,
      durationMs: 1000,
      warmupMs: 300,
      payloadBytes: 110,
      partitions: 1,
      replicationFactor: 1,
      lingerMs: 2,
    });
    assert.is(out.offeredRate, 150);
    assert.is(out.failed, 0);
    // 50 per topic in one second; a topic's first due time may fall on either side of the edges.
    assert.ok(out.written >= 147 && out.written <= 153, `${out.written} writes timed`);
    assert.ok(out.batches >= 1 && out.batches <= out.written + 10, `${out.batches} batches`);
    assert.ok(out.write.p50 > 0 && out.write.p50 <= out.write.p99 && out.write.p99 <= out.write.max);
    // Kafka deletes a topic asynchronously: wait until the listing no longer has this run's.
    for (let i = 0; ; i++) {
      const left = (await admin.listTopics()).filter((t) => t.startsWith(out.topicPrefix));
      if (left.length === 0) break;
      if (i === 150) assert.equal(left, [], 'the bench deletes its topics');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
});

test.run();
