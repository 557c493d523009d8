// The second repair of kafkajs 2.2.4 (lib/kafkajs.ts applies it): look-ups that scan every topic
// the client knows, on every send. A producer's send calls
// - Cluster#addMultipleTargetTopics, which copies the whole set of target topics;
// - BrokerPool#refreshMetadataIfNecessary, which for each target topic scans the metadata's topic
//   list (topics x topics string compares);
// - Cluster#findTopicPartitionMetadata twice per topic in the batch, a scan of that list each.
// The bridge's producer knows every sensor topic of the gateway (bridge/kafka/producer.ts primes
// them all), so a send costs the square of the sensor count: about 5,000 compares with 100
// sensors, 50 million with 10,000. Replaced by an index of each metadata response (built once
// per response), and a copy of only the topics a send adds; behaviour otherwise as kafkajs'.
import { createRequire } from 'node:module';

interface TopicMetadata {
  topic: string;
  partitionMetadata: unknown[];
}
interface Metadata {
  topicMetadata: TopicMetadata[];
}

/** What the repair touches of kafkajs' BrokerPool (src/cluster/brokerPool.js). */
export interface BrokerPoolInternals {
  metadata: Metadata | null;
  metadataExpireAt: number | null;
  refreshMetadata(topics: string[]): Promise<unknown>;
  refreshMetadataIfNecessary(topics: string[]): Promise<unknown>;
}

/** What the repair touches of kafkajs' Cluster (src/cluster/index.js). */
export interface ClusterInternals {
  brokerPool: BrokerPoolInternals;
  targetTopics: Set<string>;
  mutatingTargetTopics: { acquire(): Promise<void>; release(): Promise<void> };
  refreshMetadata(): Promise<unknown>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): unknown[];
}

const require = createRequire(import.meta.url);
export const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: ClusterInternals };
export const BrokerPool = require('kafkajs/src/cluster/brokerPool.js') as { prototype: BrokerPoolInternals };
const { KafkaJSTopicMetadataNotLoaded } = require('kafkajs/src/errors.js') as {
  KafkaJSTopicMetadataNotLoaded: new (message: string, extra: object) => Error;
};

/** kafkajs' own methods (the canaries in test/lib/kafkajs-topics.test.ts show they still scan). */
export const original = {
  addMultipleTargetTopics: Cluster.prototype.addMultipleTargetTopics,
  findTopicPartitionMetadata: Cluster.prototype.findTopicPartitionMetadata,
  refreshMetadataIfNecessary: BrokerPool.prototype.refreshMetadataIfNecessary,
};

// A metadata response is replaced, never changed, when kafkajs refreshes: one index per response.
const indexes = new WeakMap<Metadata, Map<string, TopicMetadata>>();

export function topicIndex(metadata: Metadata): Map<string, TopicMetadata> {
  let index = indexes.get(metadata);
  if (!index) indexes.set(metadata, (index = new Map(metadata.topicMetadata.map((t) => [t.topic, t]))));
  return index;
}

// The errors after which kafkajs takes the topics back out of the target set.
const UNKNOWN_TOPIC = ['INVALID_TOPIC_EXCEPTION', 'UNKNOWN_TOPIC_OR_PARTITION', 'TOPIC_AUTHORIZATION_FAILED'];

async function addMultipleTargetTopics(this: ClusterInternals, topics: string[]): Promise<void> {
  await this.mutatingTargetTopics.acquire();
  try {
    const added = [...new Set(topics)].filter((t) => !this.targetTopics.has(t));
    for (const t of added) this.targetTopics.add(t);
    if (added.length === 0 && this.brokerPool.metadata) return;
    try {
      await this.refreshMetadata();
    } catch (e) {
      if (UNKNOWN_TOPIC.includes((e as { type?: string }).type ?? ''))
        for (const t of added) this.targetTopics.delete(t);
      throw e;
    }
  } finally {
    await this.mutatingTargetTopics.release();
  }
}

function findTopicPartitionMetadata(this: ClusterInternals, topic: string): unknown[] {
  const { metadata } = this.brokerPool;
  if (!metadata || !metadata.topicMetadata)
    throw new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic });
  return topicIndex(metadata).get(topic)?.partitionMetadata ?? [];
}

async function refreshMetadataIfNecessary(this: BrokerPoolInternals, topics: string[]): Promise<unknown> {
  const m = this.metadata;
  if (m == null || this.metadataExpireAt == null || Date.now() > this.metadataExpireAt)
    return this.refreshMetadata(topics);
  const index = topicIndex(m);
  if (!topics.every((t) => index.has(t))) return this.refreshMetadata(topics);
  return undefined;
}

Cluster.prototype.addMultipleTargetTopics = addMultipleTargetTopics;
Cluster.prototype.findTopicPartitionMetadata = findTopicPartitionMetadata;
BrokerPool.prototype.refreshMetadataIfNecessary = refreshMetadataIfNecessary;
