// Every command a Redis runs, in its order, read from a MONITOR connection: to count what a code
// path asks of Redis, or to prove that something never reached it. mark() syncs on the feed (a
// GET of a marker key), so "between two marks" is exact, with no sleep.
import { Redis } from 'ioredis';
import { waitFor } from './gateway.ts';
import { unique } from './services.ts';

export class CommandLog {
  /** The arguments of each command, the verb first; commands run by scripts are left out. */
  readonly seen: string[][] = [];
  private feed: Redis | undefined;
  private marks = 0;
  private readonly markPrefix = `${unique('monitor-mark')}:`;

  private constructor(private readonly client: Redis) {}

  static async start(url: string): Promise<CommandLog> {
    const log = new CommandLog(new Redis(url));
    // ioredis answers monitor() with a connection of its own in MONITOR mode.
    const feed = (log.feed = await log.client.monitor());
    // Commands a script runs show up too, with source "lua": the script call itself is the cost.
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') log.seen.push(args);
    });
    return log;
  }

  /** Resolves once every command Redis ran before this call is in `seen`; returns its place. */
  async mark(): Promise<number> {
    const key = `${this.markPrefix}${this.marks++}`;
    await this.client.get(key);
    return waitFor(`MONITOR shows ${key}`, () => {
      const i = this.seen.findIndex((a) => a[1] === key);
      return i >= 0 ? i : undefined;
    });
  }

  /** The commands run between two marks. */
  between(from: number, to: number): string[][] {
    return this.seen.slice(from + 1, to);
  }

  async stop(): Promise<void> {
    this.feed?.disconnect();
    await this.client.quit();
  }
}
