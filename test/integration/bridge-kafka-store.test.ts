// The Kafka LogStore passes the LogStore contract on the real Kafka (kafkajs 2.2.4 against
// Kafka 4.x: idempotent acks=all produce, Fetch without a consumer group, offsets by time), and
// so does the look-up of a resend in a sensor's log.
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createKafkaClients } from '../../bridge/kafka/client.ts';
import { KafkaLogStore } from '../../bridge/kafka/store.ts';
import { createLogger } from '../../lib/log.ts';
import { SPEC, logStoreContract, type ContractContext } from '../bridge/log-store.contract.ts';
import { resendLookupContract } from '../bridge/resend-lookup.contract.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const log = createLogger({ level: 'silent' });
const newStore = (name: string, onProducerMetadata?: () => void) =>
  new KafkaLogStore(
    createKafkaClients(
      {
        brokers: svc.kafkaBrokers,
        clientId: unique(name),
        retryInitialMs: 100,
        retryMaxMs: 1000,
        requestTimeoutMs: 30_000,
      },
      log,
    ),
    log,
    { requestTimeoutMs: 30_000, onProducerMetadata },
  );
const store = newStore('contract');

const contract = suite<ContractContext>('kafka store contract', { store, topic: () => unique('contract') });
logStoreContract(contract);
contract.run();

// A device's resend looked up in the log (bridge/resend-check.ts), on the real Kafka.
const lookup = suite<ContractContext>('resend look-up contract (kafka)', { store, topic: () => unique('lookup') });
resendLookupContract(lookup);
lookup.run();

// A replay's first reads arrive together (the demo's buyers all replay at once). kafkajs marks a
// broker connected as soon as its socket opens, before the ApiVersions round that makes it usable,
// so a second fetch could run on a half-connected broker and fail with "Broker not connected".
const fresh = suite('kafka store: a fresh reader serves concurrent first reads');
fresh('20 reads of 4 topics, issued a millisecond apart on a new store, all succeed', async () => {
  const topics = [0, 1, 2, 3].map(() => unique('concurrent'));
  for (const topic of topics) {
    await store.ensureTopic(topic, SPEC);
    await store.append(
      [0, 1, 2].map((i) => ({ topic, key: 'k', value: Buffer.from(`v${i}`), timestamp: Date.now(), headers: {} })),
    );
  }
  const kafkaPorts = new Set(svc.kafkaBrokers.map((b) => Number(b.split(':').pop())));
  // The sockets to Kafka this process holds (the contract's store keeps its own, idle here).
  const kafkaSockets = () =>
    (process as unknown as { _getActiveHandles(): { remotePort?: number }[] })
      ._getActiveHandles()
      .filter((h) => kafkaPorts.has(h.remotePort ?? -1)).length;
  const before = kafkaSockets();
  for (let round = 0; round < 3; round++) {
    const reader = newStore('fresh');
    try {
      // Staggered by a millisecond each, so that some land while the first connect is under way.
      const reads = Array.from({ length: 20 }, async (_, i) => {
        await sleep(i);
        return reader.read(topics[i % 4]!, 0, i % 3, { maxBytes: 1 << 20, maxRecords: 10 });
      });
      const got = await Promise.all(reads);
      got.forEach((records, i) =>
        assert.equal(
          records.map((r) => r.value.toString()),
          ['v0', 'v1', 'v2'].slice(i % 3),
        ),
      );
    } finally {
      await reader.close();
    }
  }
  // A socket left open would keep the gateway's process alive after shutdown.
  assert.is(kafkaSockets(), before, 'every socket the readers opened is closed');
});
fresh.after(() => store.close());
fresh.run();

// A gateway whose active sensors all start publishing: kafkajs would refresh the producer's
// metadata for each batch that names a new topic; the store brings in every known topic at once.
const warm = suite('kafka store: the first writes to many known topics');
warm('30 sensors publishing one after the other cost the producer one metadata refresh, not 30', async () => {
  let metadata = 0;
  const writer = newStore('warm', () => (metadata += 1));
  try {
    const topics = Array.from({ length: 30 }, () => unique('warm'));
    await Promise.all(topics.map((t) => writer.ensureTopic(t, SPEC)));
    const offsets: number[] = [];
    for (const topic of topics)
      offsets.push(
        ...(await writer.append([{ topic, key: 'k', value: Buffer.from('v'), timestamp: Date.now(), headers: {} }])),
      );
    assert.equal(
      offsets,
      topics.map(() => 0),
      'each topic got its first entry',
    );
    // One at the producer's connect and one for the 30 topics; kafkajs alone made 31 here.
    assert.ok(metadata >= 1 && metadata <= 3, `${metadata} metadata requests`);
    // A topic created after the first writes costs one more, not one per known topic.
    const later = unique('warm');
    await writer.ensureTopic(later, SPEC);
    const before = metadata;
    await writer.append([{ topic: later, key: 'k', value: Buffer.from('v'), timestamp: Date.now(), headers: {} }]);
    assert.ok(metadata - before <= 1, `${metadata - before} more metadata requests for one new topic`);
  } finally {
    await writer.close();
  }
});
warm.run();
