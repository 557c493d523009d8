// Today's feed of the catalogue: polls the marketplace's logs (one address filter follows every
// event, docs/contracts-api.md) in windows of at most maxWindowBlocks after the index's
// checkpoint, and hands each window to the CatalogueFeed in chain order. An empty index is seeded
// from the chain's views first. Every instance may run one; the feed's writes are idempotent.
// Issue 16's follower (confirmations, reorg retractions) is meant to replace this file and call
// the same CatalogueFeed.
import type { Provider } from 'ethers';
import type { CatalogueFeed } from '../interfaces/catalogue.ts';
import { parseMarketplaceLogs } from '../contracts/client.ts';
import type { Logger } from '../lib/log.ts';

export interface PollerOptions {
  marketplace: string;
  pollIntervalMs: number;
  maxWindowBlocks: number;
}

export class CataloguePoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly provider: Provider,
    private readonly feed: CatalogueFeed,
    private readonly o: PollerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.pollIntervalMs);
    void this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round: seed when empty, then every window up to the chain's head. Rounds never overlap. */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const head = await this.provider.getBlockNumber();
      let at = await this.feed.checkpoint();
      if (at === undefined) {
        await this.feed.seed(head);
        at = head;
      }
      while (at < head && !this.stopped) {
        const to = Math.min(head, at + this.o.maxWindowBlocks);
        const logs = await this.provider.getLogs({ address: this.o.marketplace, fromBlock: at + 1, toBlock: to });
        await this.feed.applyWindow(to, parseMarketplaceLogs(logs, this.o.marketplace));
        at = to;
      }
      if (this.failing) this.log.info({ block: at }, 'catalogue follows the chain again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, 'catalogue: chain events not read; retrying');
      this.failing = true;
    }
  }
}
