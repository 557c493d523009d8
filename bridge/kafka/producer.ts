// The idempotent producer KafkaLogStore appends with (bridge/kafka/store.ts): its connection, a
// send with acks=all, its metadata primed for every topic the store knows at once, and its
// replacement when the store finds its id/sequence state lost.
import { CompressionTypes, Partitioners, type Producer, type RecordMetadata, type TopicMessages } from 'kafkajs';
import type { Kafka } from '../../lib/kafkajs.ts';

export interface AppendProducerOptions {
  requestTimeoutMs: number;
  /** Called for each Metadata request of the producer (its metadata refreshes: a metric). */
  onMetadata?: () => void;
}

export class AppendProducer {
  private producer: Producer;
  private ready: Promise<void> | undefined;
  /** Topics the current producer has metadata for (prime). */
  private topics = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: AppendProducerOptions,
    /** Every topic the store knows, read when a batch brings a topic new to this producer. */
    private readonly knownTopics: () => Iterable<string>,
  ) {
    this.producer = this.create();
  }

  /** Sends the batch; its errors are the store's to judge (a lost producer state: restart()). */
  async send(topicMessages: TopicMessages[]): Promise<RecordMetadata[]> {
    await this.connect();
    await this.prime(topicMessages);
    // acks -1: every in-sync replica has the batch before we acknowledge (PUBACK) anything.
    // No compression: payloads are ciphertext and do not compress.
    const meta = await this.producer.sendBatch({
      acks: -1,
      timeout: this.opts.requestTimeoutMs,
      compression: CompressionTypes.None,
      topicMessages,
    });
    for (const t of topicMessages) this.topics.add(t.topic);
    return meta;
  }

  /** A new producer (new id) in place of this one; the old one is disconnected. */
  async restart(): Promise<void> {
    const old = this.producer;
    this.producer = this.create();
    this.ready = undefined;
    this.topics = new Set();
    await old.disconnect().catch(() => undefined);
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }

  // kafkajs refreshes the producer's metadata whenever a send names a topic it has not sent to
  // before (cluster.addMultipleTargetTopics, src/cluster/index.js), one Metadata round trip per
  // batch that brings a new one: a gateway whose 100 active sensors start publishing stalled
  // 2.4 s (the bench's warm-up) while batch after batch refreshed. The first new topic brings in
  // every topic this store knows, in one refresh: a send without messages names them and
  // produces nothing (src/producer/sendMessages.js). If that fails (a topic deleted meanwhile),
  // the batch's own send refreshes what it needs, as before.
  private async prime(batch: readonly { topic: string }[]): Promise<void> {
    if (batch.every((t) => this.topics.has(t.topic))) return;
    const topics = new Set([...this.topics, ...this.knownTopics(), ...batch.map((t) => t.topic)]);
    try {
      await this.producer.sendBatch({
        acks: -1,
        timeout: this.opts.requestTimeoutMs,
        topicMessages: [...topics].map((topic) => ({ topic, messages: [] })),
      });
      this.topics = topics;
    } catch {
      // The batch's own send (send()) names only its topics; its errors are the ones that count.
    }
  }

  private create(): Producer {
    // One request in flight: kafkajs holds a lock per broker for an idempotent producer's whole
    // produce round trip anyway (producer/sendMessages.js acquireBrokerLock), and the writer sends
    // one batch at a time so a failed batch can never be overtaken by the next one.
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const onMetadata = this.opts.onMetadata;
    if (onMetadata)
      producer.on(producer.events.REQUEST, (e: { payload: { apiName: string } }) => {
        if (e.payload.apiName === 'Metadata') onMetadata();
      });
    return producer;
  }

  private connect(): Promise<void> {
    this.ready ??= this.producer.connect().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
