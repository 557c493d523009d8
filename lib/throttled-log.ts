// Refusals are logged, never silent, but not one line each: a CONNECT flood or a device over its
// rate would write thousands of lines a second. The first event of a key is logged at once with
// its fields; later ones within `everyMs` are summed and logged once at the window's end with
// their count and up to ten of their subjects (client ids, addresses). Never put a payload, key
// or token in the fields (lib/log.ts).
import type { Logger } from './log.ts';

interface Tally {
  count: number;
  subjects: Set<string>;
  lastLog: number;
  fields: Record<string, unknown>;
  timer?: NodeJS.Timeout;
}

export class ThrottledLog {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly log: Logger,
    private readonly msg: string,
    private readonly level: 'info' | 'warn' = 'info',
    private readonly everyMs = 5000,
  ) {}

  note(key: string, subject: string | undefined, fields: Record<string, unknown>): void {
    let t = this.tallies.get(key);
    if (!t) this.tallies.set(key, (t = { count: 0, subjects: new Set(), lastLog: 0, fields }));
    t.count += 1;
    t.fields = fields;
    if (subject !== undefined && t.subjects.size < 10) t.subjects.add(subject);
    const wait = t.lastLog + this.everyMs - Date.now();
    if (wait <= 0) return this.flush(t);
    t.timer ??= setTimeout(() => this.flush(t), wait).unref();
  }

  /** Logs what is pending now (at shutdown). */
  flushAll(): void {
    for (const t of this.tallies.values()) this.flush(t);
  }

  private flush(t: Tally): void {
    clearTimeout(t.timer);
    t.timer = undefined;
    if (t.count === 0) return;
    this.log[this.level]({ ...t.fields, count: t.count, subjects: [...t.subjects] }, this.msg);
    t.count = 0;
    t.subjects.clear();
    t.lastLog = Date.now();
  }
}
