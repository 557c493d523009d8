// A device: what a real sensor does with nothing but MQTT 3.1.1, its token and AES-256-GCM
// (docs/mosquitto.md does the same with mosquitto_pub). It connects as its sensor (username and
// client id = the sensor address, password = the sensor JWT), seals each reading with the
// current key of its keyring (the copy of the seller's key file) and publishes it on
// sensors/<sensor> with QoS 1; publish() resolves once the PUBACK came, which the gateway sends
// only when the envelope is durable in its history (Kafka). A rotated key file is used from the
// next reading on (a KeyringFolder reloads a changed file).
//
// The gateway refusing the connection for good (CONNACK 2 client id, 4 token, 5 not authorised:
// the sensor was deactivated or its token revoked) stops the device instead of retrying every
// second, as a well-behaved device should; 3 (server unavailable) is retried.
import type { MqttClient } from 'mqtt';
import { itradeError } from '../protocol/errors.ts';
import { sensorTopic } from '../protocol/topics.ts';
import type { Keyring, KeyringStore } from './crypto/keyring.ts';
import { encodeReading, type Reading } from './crypto/reading.ts';
import { asPayload, connectMqtt } from './mqtt-connect.ts';
import { silentLogger, type SdkLogger } from './log.ts';

export interface DeviceOptions {
  /** The gateway's MQTT URL: mqtt://host:port in Node.js, ws(s)://host:port in a browser. */
  url: string;
  sensor: string;
  /** The sensor JWT from the gateway's activation endpoint (GatewayApi.activateSensor). */
  token: string;
  /** Where the device's copy of the sensor's key file is kept; its current key seals. */
  keyrings: KeyringStore;
  connectTimeoutMs?: number;
  /** Called once when the gateway refuses a (re)connection for good; the device has stopped then. */
  onRefused?: (returnCode: number) => void;
  log?: SdkLogger;
}

export interface Published {
  envelope: Uint8Array;
  keyId: number;
}

const REFUSED_FOR_GOOD = new Set([2, 4, 5]);

export class Device {
  readonly sensor: string;
  /** The CONNACK code that refused a reconnect, once it happened. */
  refusedWith: number | undefined;
  private order: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly client: MqttClient,
    private readonly o: DeviceOptions,
  ) {
    this.sensor = o.sensor.toLowerCase();
  }

  /** Connects as the sensor; rejects with CRYPTO_MQTT_CONNECT when no CONNACK accepts it. */
  static async connect(o: DeviceOptions): Promise<Device> {
    const sensor = o.sensor.toLowerCase();
    const client = await connectMqtt(
      {
        url: o.url,
        username: sensor,
        password: o.token,
        clientId: sensor, // a device's client id is its sensor address (docs/broker.md, CONNECT)
        ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      },
      'device',
      o.log,
    );
    const d = new Device(client, { ...o, sensor });
    client.on('error', (err: Error & { code?: unknown }) => d.onError(err));
    return d;
  }

  private onError(err: Error & { code?: unknown }): void {
    if (typeof err.code !== 'number' || !REFUSED_FOR_GOOD.has(err.code) || this.refusedWith !== undefined) return;
    this.refusedWith = err.code;
    (this.o.log ?? silentLogger).warn(
      { sensor: this.sensor, returnCode: err.code },
      'connection refused: device stops',
    );
    this.client.end(true);
    this.o.onRefused?.(err.code);
  }

  private async keyring(): Promise<Keyring> {
    const ring = await this.o.keyrings.load(this.sensor);
    if (!ring) throw itradeError('CRYPTO_KEYFILE_INVALID', `the device holds no key file for sensor ${this.sensor}`);
    return ring;
  }

  /**
   * Seals the reading with the current key and publishes it (QoS 1); resolves with the envelope
   * once the gateway acknowledged it. Readings go out in the order publish() was called.
   */
  publish(reading: Reading): Promise<Published> {
    const sealed = this.order.then(async () => {
      const ring = await this.keyring();
      return { envelope: await ring.seal(encodeReading(reading)), keyId: ring.current().keyId };
    });
    this.order = sealed.catch(() => undefined);
    return sealed.then(async (p) => {
      await this.publishEnvelope(p.envelope);
      return p;
    });
  }

  /** Publishes an envelope sealed elsewhere (QoS 1); resolves on its PUBACK. */
  async publishEnvelope(envelope: Uint8Array): Promise<void> {
    try {
      await this.client.publishAsync(sensorTopic(this.sensor), asPayload(envelope), { qos: 1 });
    } catch (cause) {
      throw itradeError('CRYPTO_MQTT_CONNECT', `sensor ${this.sensor}: the publish was not acknowledged`, { cause });
    }
  }

  /** Disconnects; `force` drops publishes still waiting for their PUBACK. */
  async close(force = false): Promise<void> {
    await this.client.endAsync(force || !this.client.connected);
  }
}
