// Offsets by time for many callers at once. A storm of buyers subscribing for the first time asks
// where each subscription starts in its sensor's log (broker/subscribe.ts startCursor): one
// kafkajs admin call each is two ListOffsets round trips in a row (admin fetchTopicOffsetsByTimestamp
// asks for the high watermark first), a thousand of them queue on one connection. Here the asks of
// one turn of the event loop go out together: one ListOffsets per partition leader for every
// topic asked, and a second one only for the topics with no record at or after the time (their
// answer is the log's end).
//
// ListOffsets takes one timestamp per topic in kafkajs (cluster.fetchTopicsOffset), so two asks of
// one topic with different times go in successive rounds. The cluster object is kafkajs's own
// (bridge/kafka/fetch.ts builds it); the LogStore contract suite runs this against the real Kafka.

export interface OffsetsCluster {
  addTargetTopic(topic: string): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromTimestamp?: number; fromBeginning?: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

interface Ask {
  topic: string;
  partition: number;
  timestamp: number;
  resolve(offset: number): void;
  reject(err: unknown): void;
}

export class OffsetLookups {
  private queue: Ask[] = [];
  private scheduled = false;

  constructor(
    private readonly cluster: OffsetsCluster,
    private readonly connect: () => Promise<void>,
  ) {}

  /** The first offset whose timestamp is >= `timestamp`, or the log's end when there is none. */
  offsetForTime(topic: string, partition: number, timestamp: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ topic, partition, timestamp, resolve, reject });
      if (!this.scheduled) ((this.scheduled = true), setImmediate(() => this.flush()));
    });
  }

  // The rounds of one turn go out at once: a round waiting for the one before it would make a
  // storm's asks of one sensor wait in line, one round trip each.
  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const round = this.takeRound();
      this.round(round).catch((err: unknown) => round.forEach((a) => a.reject(err)));
    }
  }

  /**
   * One ask per topic (the first in line) and those asking the same of it (partition and time);
   * the others of that topic wait for the next round.
   */
  private takeRound(): Ask[] {
    const round = new Map<string, Ask>();
    const rest: Ask[] = [];
    for (const a of this.queue) {
      const first = round.get(a.topic);
      if (!first) round.set(a.topic, a);
      else if (first.partition === a.partition && first.timestamp === a.timestamp) share(first, a);
      else rest.push(a);
    }
    this.queue = rest;
    return [...round.values()];
  }

  private async round(all: Ask[]): Promise<void> {
    await this.connect();
    const asks = await this.known(all);
    if (asks.length === 0) return;
    const byTime = await this.cluster.fetchTopicsOffset(
      asks.map((a) => ({ topic: a.topic, fromTimestamp: a.timestamp, partitions: [{ partition: a.partition }] })),
    );
    const none: Ask[] = [];
    let leaderless = false;
    for (const a of asks) {
      const offset = offsetOf(byTime, a);
      if (offset === undefined) ((leaderless = true), a.reject(noLeader(a)));
      else if (offset >= 0) a.resolve(offset);
      else none.push(a); // no record at or after the time: the log's end
    }
    if (none.length > 0) {
      const ends = await this.cluster.fetchTopicsOffset(
        none.map((a) => ({ topic: a.topic, fromBeginning: false, partitions: [{ partition: a.partition }] })),
      );
      for (const a of none) {
        const offset = offsetOf(ends, a);
        if (offset === undefined) ((leaderless = true), a.reject(noLeader(a)));
        else a.resolve(offset);
      }
    }
    // Fresh metadata before the callers ask again (bridge/kafka/store.ts listOffsets retries).
    if (leaderless) await this.cluster.refreshMetadata().catch(() => undefined);
  }

  /**
   * The asks whose topics kafkajs knows. Each topic new to its cluster costs a Metadata round,
   * one at a time under a lock (cluster.addMultipleTargetTopics): a storm's first asks of 100
   * sensors would wait for 100 rounds in a row, so they are added in one. A topic kafkajs cannot
   * find fails that one: then they are added one by one and only the unknown ones' asks fail.
   */
  private async known(all: Ask[]): Promise<Ask[]> {
    try {
      await this.cluster.addMultipleTargetTopics([...new Set(all.map((a) => a.topic))]);
      return all;
    } catch {
      // One of them is unknown: find out which.
    }
    const asks: Ask[] = [];
    for (const a of all) await this.cluster.addTargetTopic(a.topic).then(() => asks.push(a), a.reject);
    return asks;
  }
}

/** `other` gets `first`'s answer. */
function share(first: Ask, other: Ask): void {
  const { resolve, reject } = first;
  first.resolve = (offset) => (resolve(offset), other.resolve(offset));
  first.reject = (err) => (reject(err), other.reject(err));
}

function offsetOf(answer: Awaited<ReturnType<OffsetsCluster['fetchTopicsOffset']>>, a: Ask): number | undefined {
  const p = answer.find((t) => t.topic === a.topic)?.partitions.find((x) => x.partition === a.partition);
  return p === undefined ? undefined : Number(p.offset);
}

// kafkajs leaves out a partition it knows no leader for (a topic just created): the caller asks again.
function noLeader(a: Ask): Error {
  return Object.assign(new TypeError(`no leader known for ${a.topic}/${a.partition}`), { retriable: true });
}
