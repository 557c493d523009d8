// Refusals are logged, never silent, but not one line each: under backpressure that would be
// thousands of lines a second. The first refusal of a reason logs at once; later ones are
// summed and logged at most every `everyMs` with their count and (some of) their sensors.
import type { Logger } from '../lib/log.ts';

interface Tally {
  count: number;
  sensors: Set<string>;
  lastLog: number;
  timer?: NodeJS.Timeout;
}

export class RefusalLog {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly log: Logger,
    private readonly everyMs = 5000,
  ) {}

  note(reason: string, sensor: string, bufferEntries: number, bufferBytes: number): void {
    let t = this.tallies.get(reason);
    if (!t) this.tallies.set(reason, (t = { count: 0, sensors: new Set(), lastLog: 0 }));
    t.count += 1;
    if (t.sensors.size < 20) t.sensors.add(sensor);
    const wait = t.lastLog + this.everyMs - Date.now();
    if (wait <= 0) return this.flush(reason, t, bufferEntries, bufferBytes);
    // A burst that ends inside the window is still reported, at the window's end.
    t.timer ??= setTimeout(() => this.flush(reason, t, bufferEntries, bufferBytes), wait).unref();
  }

  private flush(reason: string, t: Tally, bufferEntries: number, bufferBytes: number): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    if (t.count === 0) return;
    this.log.warn(
      { reason, refused: t.count, sensors: [...t.sensors], bufferEntries, bufferBytes },
      'bridge refused publishes',
    );
    t.count = 0;
    t.sensors.clear();
    t.lastLog = Date.now();
  }
}
