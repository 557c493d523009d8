// Refusals are logged, never silent, but not one line each: a CONNECT flood, a device over its
// rate or a bridge under backpressure would write thousands of lines a second. The first event
// of a key is logged at once with its fields; later ones within `everyMs` are summed and logged
// once at the window's end with their count and up to ten of their subjects (client ids,
// addresses, sensors). Fields given as a function are read when the line is written, so a
// summary carries the figures of that moment (a buffer's size), not those of its first event.
// Never put a payload, key or token in the fields (lib/log.ts).
import { systemClock, type Clock, type Timer } from './clock.ts';
import type { Logger } from './log.ts';

export type LogFields = Record<string, unknown> | (() => Record<string, unknown>);

interface Tally {
  count: number;
  subjects: Set<string>;
  lastLog: number;
  fields: LogFields;
  timer?: Timer;
}

export class ThrottledLog {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly log: Logger,
    private readonly msg: string,
    private readonly level: 'info' | 'warn' = 'info',
    private readonly everyMs = 5000,
    private readonly clock: Clock = systemClock,
  ) {}

  note(key: string, subject: string | undefined, fields: LogFields): void {
    let t = this.tallies.get(key);
    if (!t) this.tallies.set(key, (t = { count: 0, subjects: new Set(), lastLog: -Infinity, fields }));
    t.count += 1;
    t.fields = fields;
    if (subject !== undefined && t.subjects.size < 10) t.subjects.add(subject);
    const wait = t.lastLog + this.everyMs - this.clock.now();
    if (wait <= 0) return this.flush(t);
    const tally = t;
    t.timer ??= this.clock.setTimeout(() => this.flush(tally), wait);
  }

  /** Logs what is pending now (at shutdown). */
  flushAll(): void {
    for (const t of this.tallies.values()) this.flush(t);
  }

  private flush(t: Tally): void {
    this.clock.clearTimeout(t.timer);
    t.timer = undefined;
    if (t.count === 0) return;
    const fields = typeof t.fields === 'function' ? t.fields() : t.fields;
    this.log[this.level]({ ...fields, count: t.count, subjects: [...t.subjects] }, this.msg);
    t.count = 0;
    t.subjects.clear();
    t.lastLog = this.clock.now();
  }
}
