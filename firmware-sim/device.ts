// A simulated device: the SDK's Device (sdk/device.ts: MQTT 3.1.1 as its sensor, AES-256-GCM
// envelopes, QoS 1) driven at a steady rate with plausible readings (readings.ts), counting what
// was sent, acknowledged, failed or held back. Only the schedule and the counts are simulation;
// connecting, sealing and publishing are what any device built on the SDK does.
import type { MqttClient } from 'mqtt';
import type { Logger } from '../lib/log.ts';
import { Device, KeyringFolder, type BuiltInSensorType, type Reading } from '../sdk/node.ts';
import { ReadingGenerator } from './readings.ts';

export interface DeviceOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:11883. */
  url: string;
  sensor: string;
  /** The sensor JWT from the gateway's activation endpoint. */
  token: string;
  /** The folder holding the device's copy of `<sensor>.json`. */
  keysDir: string;
  sensorType: BuiltInSensorType;
  /** Readings per second. */
  rateHz: number;
  seed?: number;
  /** QoS 1 publishes waiting for their PUBACK before the device holds back (default 100). */
  maxInflight?: number;
  /** Called with every reading once the gateway acknowledged it (it is in the history store). */
  onAcked?: (r: Reading, envelope: Uint8Array) => void;
  log?: Logger;
}

export interface DeviceStats {
  sent: number;
  acked: number;
  failed: number;
  /** Readings not taken because too many were waiting for their PUBACK. */
  heldBack: number;
  keyId: number;
  /** The CONNACK code that refused a reconnect (the sensor was deactivated, its token revoked). */
  refusedWith?: number;
}

export class SimDevice {
  readonly stats: DeviceStats = { sent: 0, acked: 0, failed: 0, heldBack: 0, keyId: 0 };
  private readonly gen: ReadingGenerator;
  private timer: ReturnType<typeof setInterval> | undefined;
  private t0 = 0;
  private due = 0;
  private inflight = 0;
  private readonly drained: (() => void)[] = [];

  private constructor(
    readonly device: Device,
    private readonly o: DeviceOptions,
  ) {
    this.gen = new ReadingGenerator(o.sensorType, { ...(o.seed === undefined ? {} : { seed: o.seed }) });
  }

  get client(): MqttClient {
    return this.device.client;
  }

  static async connect(o: DeviceOptions): Promise<SimDevice> {
    let sim: SimDevice | undefined;
    const device = await Device.connect({
      url: o.url,
      sensor: o.sensor,
      token: o.token,
      keyrings: new KeyringFolder(o.keysDir),
      onRefused: (code) => sim?.refused(code),
      ...(o.log ? { log: o.log } : {}),
    });
    sim = new SimDevice(device, { ...o, sensor: device.sensor });
    return sim;
  }

  private refused(code: number): void {
    this.stats.refusedWith = code;
    clearInterval(this.timer);
  }

  /** Publishes at the configured rate until stop(). */
  start(): void {
    this.t0 = Date.now();
    const tickMs = Math.max(10, Math.min(1000, Math.floor(1000 / this.o.rateHz)));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.tick();
  }

  // Catches up on what is due since the start, so the average rate holds even when a tick is late.
  private tick(): void {
    const target = Math.floor(((Date.now() - this.t0) * this.o.rateHz) / 1000) + 1;
    const max = this.o.maxInflight ?? 100;
    while (this.due < target) {
      this.due++;
      if (this.inflight >= max) {
        this.stats.heldBack++;
        continue;
      }
      void this.publish(this.gen.next());
    }
  }

  /** Seals and publishes one reading now (QoS 1); resolves when it was acknowledged or failed. */
  async publish(reading: Reading): Promise<void> {
    this.stats.sent++;
    this.inflight++;
    try {
      const p = await this.device.publish(reading);
      this.stats.keyId = p.keyId;
      this.stats.acked++;
      this.o.onAcked?.(reading, p.envelope);
    } catch (err) {
      this.stats.failed++;
      this.o.log?.warn({ sensor: this.device.sensor, err: (err as Error).message }, 'publish failed');
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const d of this.drained.splice(0)) d();
    }
  }

  /** Stops publishing; waits (up to `waitMs`) for the PUBACKs of what was sent, then disconnects. */
  async stop(waitMs = 10_000): Promise<void> {
    clearInterval(this.timer);
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.drained.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Unacknowledged publishes would keep a graceful end waiting forever: force it then.
    await this.device.close(this.inflight > 0);
  }
}
