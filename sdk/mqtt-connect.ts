// MQTT 3.1.1 connections of every SDK client (device, buyer, key agent): the sensor's or the
// principal's JWT as the password, the address as username and client id (docs/broker.md,
// CONNECT), a bounded wait for the CONNACK, and a clear error instead of endless silent retries.
// In Node.js the URL is mqtt:// or mqtts://; in a browser ws:// or wss:// (the gateway's
// WebSocket listener, broker.listeners.ws).
import mqtt, { type MqttClient } from 'mqtt';
import { itradeError } from '../protocol/errors.ts';
import { toHex } from '../protocol/bytes.ts';
import { randomBytes } from './crypto/random.ts';
import type { SdkLogger } from './log.ts';
import { ResendMarkingStore } from './resend-store.ts';

export interface MqttEndpoint {
  url: string;
  username?: string;
  /** The principal's JWT (issued by the gateway). */
  password?: string;
  clientId?: string;
  connectTimeoutMs?: number;
}

/**
 * The gateway accepts a principal's connection only with its address as client id, alone or
 * followed by ":<suffix>" (docs/broker.md, CONNECT): so `<username>:<role>-<random>`, which lets
 * one principal run a key agent and a buyer at once.
 */
export function defaultClientId(username: string | undefined, role: string): string {
  const suffix = `${role}-${toHex(randomBytes(6))}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32);
  return username ? `${username}:${suffix}` : suffix;
}

/**
 * Principal tokens expire (an hour by default) and the gateway then closes the session; a
 * long-running client gets a fresh token before mqtt.js reconnects (reconnectPeriod 1 s).
 */
export function refreshPasswordOnClose(client: MqttClient, fresh: () => Promise<string>, log?: SdkLogger): void {
  client.on('close', () => {
    if (client.disconnecting || client.disconnected) return; // closed by end(): no reconnect follows
    fresh().then(
      (token) => {
        client.options.password = token;
      },
      (err: unknown) => log?.warn({ err: (err as Error).message }, 'cannot refresh the MQTT token'),
    );
  });
}

export function connectMqtt(ep: MqttEndpoint, role: string, log?: SdkLogger): Promise<MqttClient> {
  const timeoutMs = ep.connectTimeoutMs ?? 10_000;
  // Publishes sent again after a reconnect carry DUP [MQTT-3.3.1-1] (sdk/resend-store.ts).
  const outgoingStore = new ResendMarkingStore();
  const client = mqtt.connect(ep.url, {
    outgoingStore,
    protocolVersion: 4, // MQTT 3.1.1: what every device and mosquitto client speaks
    clientId: ep.clientId ?? defaultClientId(ep.username, role),
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: timeoutMs,
    ...(ep.username === undefined ? {} : { username: ep.username }),
    ...(ep.password === undefined ? {} : { password: ep.password }),
  });
  outgoingStore.watch(client);
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => {
      clearTimeout(timer);
      client.removeListener('connect', ok);
      client.removeListener('error', onError);
      client.end(true);
      reject(
        itradeError(
          'CRYPTO_MQTT_CONNECT',
          `${role}: cannot connect to ${ep.url}: ${why}`,
          cause === undefined ? undefined : { cause },
        ),
      );
    };
    const onError = (err: Error) => fail(err.message, err);
    const ok = () => {
      clearTimeout(timer);
      client.removeListener('error', onError);
      // After the first CONNACK, mqtt.js reconnects and resubscribes by itself.
      client.on('error', (err) => log?.warn({ role, err: err.message }, 'mqtt connection error'));
      resolve(client);
    };
    const timer = setTimeout(() => fail(`no CONNACK within ${timeoutMs} ms`), timeoutMs);
    // Small request/answer messages: send at once instead of waiting for Nagle (on every reconnect).
    client.on('connect', () => (client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true));
    client.once('connect', ok);
    client.once('error', onError);
  });
}

/**
 * mqtt.js types a payload as `string | Buffer` but sends any Uint8Array (mqtt-packet measures it
 * with Buffer.byteLength and writes it to the stream as it is), so a browser needs no Buffer.
 */
export function asPayload(bytes: Uint8Array): Buffer {
  return bytes as Buffer;
}
