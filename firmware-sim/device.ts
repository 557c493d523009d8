// A simulated device: what a real sensor does with nothing but MQTT 3.1.1, its token and
// AES-256-GCM. It connects as its sensor (username and client id = the sensor address, password
// = the sensor JWT), and at a steady rate seals a plausible reading (generator.ts) with the
// current key of its keyring copy and publishes it on sensors/<sensor> with QoS 1. A rotated key
// file is picked up on the next reading (KeyringStore reloads a changed file).
import type { MqttClient } from 'mqtt';
import { sensorTopic } from '../protocol/topics.ts';
import type { Logger } from '../lib/log.ts';
import { envelopeKeyId } from '../sdk/crypto/envelope.ts';
import { ReadingGenerator } from './readings.ts';
import { KeyringStore } from '../sdk/crypto/keyring.ts';
import { encodeReading, type BuiltInSensorType, type Reading } from '../sdk/crypto/reading.ts';
import { connectMqtt } from '../sdk/mqtt-connect.ts';

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
  onAcked?: (r: Reading, envelope: Buffer) => void;
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
  private readonly keys: KeyringStore;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private due = 0;
  private inflight = 0;
  private readonly drained: (() => void)[] = [];

  private constructor(
    readonly client: MqttClient,
    private readonly o: DeviceOptions,
  ) {
    this.gen = new ReadingGenerator(o.sensorType, { ...(o.seed === undefined ? {} : { seed: o.seed }) });
    this.keys = new KeyringStore(o.keysDir);
  }

  static async connect(o: DeviceOptions): Promise<SimDevice> {
    const sensor = o.sensor.toLowerCase();
    // A device's client id and username are its sensor address (docs/broker.md, CONNECT).
    const client = await connectMqtt(
      { url: o.url, username: sensor, password: o.token, clientId: sensor },
      'device',
      o.log,
    );
    const d = new SimDevice(client, { ...o, sensor });
    client.on('error', (err: Error & { code?: unknown }) => d.onError(err));
    return d;
  }

  // Refused for good (2 client id, 4 token, 5 not authorised): stop instead of retrying every
  // second, as a well-behaved device would. 3 (server unavailable) is worth retrying.
  private onError(err: Error & { code?: unknown }): void {
    if (err.code !== 2 && err.code !== 4 && err.code !== 5) return;
    this.stats.refusedWith = err.code;
    this.o.log?.warn({ sensor: this.o.sensor, returnCode: err.code }, 'connection refused: device stops');
    clearInterval(this.timer);
    this.client.end(true);
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
      this.publish(this.gen.next());
    }
  }

  /** Seals and publishes one reading now (QoS 1). */
  publish(reading: Reading): void {
    const envelope = this.keys.get(this.o.sensor).seal(encodeReading(reading));
    this.stats.keyId = envelopeKeyId(envelope);
    this.stats.sent++;
    this.inflight++;
    this.client.publish(sensorTopic(this.o.sensor), envelope, { qos: 1 }, (err) => {
      this.inflight--;
      if (err) {
        this.stats.failed++;
        this.o.log?.warn({ sensor: this.o.sensor, err: err.message }, 'publish failed');
      } else {
        this.stats.acked++;
        this.o.onAcked?.(reading, envelope);
      }
      if (this.inflight === 0) for (const d of this.drained.splice(0)) d();
    });
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
    await this.client.endAsync(this.inflight > 0 || !this.client.connected);
  }
}
