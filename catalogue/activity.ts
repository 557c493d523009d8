// Sensors' activity for the catalogue (entries stored, last publish), recorded off the hot path:
// the broker's PublishListener is wrapped, and when Kafka acknowledged a sensor's entry (the
// inner onPublish resolved) the sensor and the time are noted in memory, nothing more. Every
// flushMs the noted sensors' log end offsets are read from the bridge and written to the index
// with the last time, one small write per active sensor per flush, never one per message.
import type { AcceptedPublish, PublishListener } from '../interfaces/layers.ts';
import type { CatalogueStore } from '../interfaces/catalogue.ts';
import type { Logger } from '../lib/log.ts';

export class ActivityRecorder implements PublishListener {
  private noted = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly inner: PublishListener,
    private readonly store: CatalogueStore,
    /** The sensor topic's log end offset. */
    private readonly logEnd: (sensor: string) => Promise<number>,
    private readonly flushMs: number,
    private readonly log: Logger,
  ) {}

  async onPublish(p: AcceptedPublish): Promise<void> {
    await this.inner.onPublish(p);
    this.noted.set(p.sensor, Date.now());
  }

  onSensorActivated(sensor: string): Promise<void> {
    return this.inner.onSensorActivated(sensor);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
  }

  /** Writes what was noted since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.noted;
    this.noted = new Map();
    for (const [sensor, at] of batch) {
      try {
        await this.store.recordActivity(sensor, { entriesStored: await this.logEnd(sensor), lastPublishAt: at });
      } catch (err) {
        // Kept for the next flush unless a newer note replaced it; activity is informative only.
        if (!this.noted.has(sensor)) this.noted.set(sensor, at);
        this.log.warn({ sensor, err: (err as Error).message }, 'catalogue: sensor activity not recorded; retrying');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
