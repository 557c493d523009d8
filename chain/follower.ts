// The one follower of the marketplace's events (issue 16), shared by the entitlement cache and the
// catalogue index: it reads eth_getLogs in windows of at most maxLogRange blocks (public nodes cap
// the range they answer), only up to `confirmations` blocks below the head (an event changes what
// anyone may read once it is that deep), and keeps its checkpoint in Redis so a restarted gateway
// resumes where it stopped. Reorgs: the hash of every window's last block is remembered (the last
// reorgDepth blocks' worth, with that window's events); when the checkpoint's block no longer has
// that hash, the windows back to the newest one still on the chain are undone (each sink's
// retract() with their events) and followed again on the new branch. A window whose logs the
// node does not return (too many for one answer) is halved and tried again, then grows back.
import type { Provider } from 'ethers';
import type { Redis } from 'ioredis';
import type { ChainLogEvent } from '../interfaces/catalogue.ts';
import { parseMarketplaceLogs } from '../contracts/client.ts';
import type { Logger } from '../lib/log.ts';
import { withTimeout } from './cache.ts';

/** What the follower tells each of its users, one call at a time, in chain order. */
export interface ChainSink {
  /** Before the first window: the follower starts after block `at` (a sink may seed itself there). */
  begin?(at: number): Promise<void>;
  /** Every marketplace event of the confirmed blocks (previous window, toBlock], in chain order. */
  window(toBlock: number, events: readonly ChainLogEvent[]): Promise<void>;
  /** Events of blocks a reorg removed; the confirmed head is now `head` (read what they touched again). */
  retract(events: readonly ChainLogEvent[], head: number): Promise<void>;
}

export interface FollowerOptions {
  marketplace: string;
  pollIntervalMs: number;
  maxLogRange: number;
  confirmations: number;
  reorgDepth: number;
  rpcTimeoutMs: number;
}

/** A window followed: its last block, that block's hash, and its events (kept for a reorg). */
interface Mark {
  block: number;
  hash: string;
  events: ChainLogEvent[];
}

export class ChainFollower {
  private readonly sinks: ChainSink[] = [];
  private marks: Mark[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;
  /** Blocks of the next window: maxLogRange, halved while the node fails to answer one. */
  private range: number;
  /** The last block every sink has seen (undefined before the first round). */
  confirmed: number | undefined;

  constructor(
    private readonly provider: Provider,
    private readonly redis: Redis,
    private readonly key: string,
    private readonly o: FollowerOptions,
    private readonly log: Logger,
  ) {
    this.range = o.maxLogRange;
  }

  /** Sinks are called in the order they were added (the entitlement cache first). */
  add(sink: ChainSink): void {
    this.sinks.push(sink);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.pollIntervalMs);
    void this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round (tests call it to skip the timer); rounds never overlap. */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private rpc<T>(p: Promise<T>): Promise<T> {
    return withTimeout(p, this.o.rpcTimeoutMs);
  }

  private async hashOf(block: number): Promise<string | undefined> {
    return (await this.rpc(this.provider.getBlock(block)))?.hash ?? undefined;
  }

  private async round(): Promise<void> {
    try {
      const safe = (await this.rpc(this.provider.getBlockNumber())) - this.o.confirmations;
      if (this.marks.length === 0) await this.resume(Math.max(0, safe));
      const last = this.marks.at(-1)!;
      if ((await this.hashOf(last.block)) !== last.hash) await this.unwind(safe);
      while (this.marks.at(-1)!.block < safe && !this.stopped) await this.step(safe);
      this.confirmed = this.marks.at(-1)!.block;
      if (this.failing) this.log.info({ block: this.confirmed }, 'chain events followed again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, 'chain events not read; retrying');
      this.failing = true;
    }
  }

  /** Starts from the stored marks, else at `safe`; tells every sink where. */
  private async resume(safe: number): Promise<void> {
    const stored = Object.values(await this.redis.hgetall(this.key));
    this.marks = stored.map((m) => JSON.parse(m) as Mark).sort((a, b) => a.block - b.block);
    if (this.marks.length === 0) await this.mark({ block: safe, hash: (await this.hashOf(safe)) ?? '', events: [] });
    for (const s of this.sinks) await s.begin?.(this.marks.at(-1)!.block);
  }

  /** One window after the last mark, up to `safe` and at most maxLogRange blocks. */
  private async step(safe: number): Promise<void> {
    const from = this.marks.at(-1)!.block + 1;
    const to = Math.min(safe, from + this.range - 1);
    // The hash is read before the logs: if a reorg comes in between, the next round sees the
    // mark's hash gone and undoes this window (logs read before a hash could hide it).
    const hash = await this.hashOf(to);
    if (!hash) throw new Error(`block ${to} is not on the chain any more`);
    let logs;
    try {
      logs = await this.rpc(this.provider.getLogs({ address: this.o.marketplace, fromBlock: from, toBlock: to }));
    } catch (err) {
      // Too many logs for one answer (a timeout, or a provider's cap on results): the next try
      // asks for half the blocks, down to one; a one-block window that fails is an outage.
      if (to === from) throw err;
      this.range = Math.max(1, Math.floor((to - from + 1) / 2));
      this.log.info({ from, to, range: this.range }, 'chain events: window too big; halved');
      return;
    }
    this.range = Math.min(this.o.maxLogRange, this.range * 2);
    const events = parseMarketplaceLogs(logs, this.o.marketplace).map(plain);
    for (const s of this.sinks) await s.window(to, events);
    await this.mark({ block: to, hash, events });
  }

  /** Adds a mark (one field of a Redis hash per window, so a save never rewrites the others) and trims old ones. */
  private async mark(m: Mark): Promise<void> {
    this.marks.push(m);
    const old: number[] = [];
    while (this.marks.length > 1 && this.marks[0]!.block < m.block - this.o.reorgDepth)
      old.push(this.marks.shift()!.block);
    const tx = this.redis.multi().hset(this.key, String(m.block), JSON.stringify(m));
    if (old.length > 0) tx.hdel(this.key, ...old.map(String));
    await tx.exec();
  }

  /**
   * Tells every sink what the marks no longer on the chain granted is gone, then drops them. The
   * sinks first: one that fails (a view read timing out under load) leaves the marks in place, so
   * the next round sees the same reorg and every sink retracts again (a retraction reads the chain
   * afresh, so twice is harmless). Dropped first, the undone events were lost to that sink for good.
   */
  private async unwind(safe: number): Promise<void> {
    let keep = this.marks.length;
    for (; keep > 0; keep--) {
      const m = this.marks[keep - 1]!;
      if (m.block <= safe && (await this.hashOf(m.block)) === m.hash) break;
    }
    const gone = this.marks.slice(keep);
    const undone = gone.flatMap((m) => m.events);
    // None left: deeper than reorgDepth, what happened below the oldest mark is unknown; start
    // again at the head. Entries cached from the old branch live until their TTL (docs/contracts.md).
    const at = keep > 0 ? this.marks[keep - 1]!.block : Math.max(0, safe);
    if (keep === 0) this.log.error({ reorgDepth: this.o.reorgDepth }, 'chain reorganised deeper than remembered');
    this.log.warn({ forkBlock: at, undone: undone.length }, 'chain reorganised: events undone');
    for (const s of this.sinks) await s.retract(undone, Math.max(at, safe));
    this.marks.length = keep;
    if (gone.length > 0) await this.redis.hdel(this.key, ...gone.map((m) => String(m.block)));
    if (keep === 0) await this.mark({ block: at, hash: (await this.hashOf(at)) ?? '', events: [] });
  }
}

/** An event as JSON can keep it (bigints as decimal strings; the sinks read addresses and Number()s). */
function plain(e: ChainLogEvent): ChainLogEvent {
  const args = Object.fromEntries(
    Object.entries(e.args).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
  );
  return { name: e.name, args, blockNumber: e.blockNumber, logIndex: e.logIndex };
}
