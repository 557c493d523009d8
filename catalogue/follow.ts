// The catalogue's side of the one chain follower (chain/follower.ts): the follower hands each
// confirmed window and each reorg's undone events to the CatalogueFeed (catalogue/indexer.ts).
// An empty index, or one that fell behind where the follower starts (a gateway that was down
// while another kept the follower's checkpoint moving), is seeded from the views at that block
// rather than replayed from history.
import type { CatalogueFeed, ChainLogEvent } from '../interfaces/catalogue.ts';
import type { ChainSink } from '../chain/follower.ts';

export class CatalogueSink implements ChainSink {
  constructor(private readonly feed: CatalogueFeed) {}

  async begin(at: number): Promise<void> {
    const cp = await this.feed.checkpoint();
    if (cp === undefined || cp < at) await this.feed.seed(at);
  }

  async window(toBlock: number, events: readonly ChainLogEvent[]): Promise<void> {
    // Another instance's follower may have written this window already: its writes are
    // versioned by block, so applying it again changes nothing, but costs reads.
    const cp = await this.feed.checkpoint();
    if (cp !== undefined && cp >= toBlock && events.length === 0) return;
    await this.feed.applyWindow(toBlock, events);
  }

  retract(events: readonly ChainLogEvent[], head: number): Promise<void> {
    return this.feed.retract(events, head);
  }
}
