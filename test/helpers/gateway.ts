// Starting gateways on free ports against the test stack, and MQTT clients that report exactly
// what the broker answered (CONNACK return code, SUBACK granted list, PUBACK or disconnect).
import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import mqtt, { MqttClient, type IClientOptions, type Packet } from 'mqtt';
import { validateConfig } from '../../config/load.ts';
import type { ItradeConfig } from '../../config/schema.ts';
import { startGateway, type GatewayDeps, type GatewayHandle } from '../../gateway/gateway.ts';
import { createLogger } from '../../lib/log.ts';
import { services, unique } from './services.ts';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long';

export interface TestGatewayOptions {
  keyPrefix?: string;
  /** Redis (default: the test stack's). */
  redisUrl?: string;
  marketplace?: string;
  fromBlock?: number;
  broker?: Record<string, unknown>;
  rpcUrl?: string;
  /** Kafka topic prefix of the bridge (default: unique per gateway, so tests never share topics). */
  topicPrefix?: string;
  sovereignty?: Record<string, unknown>;
  /** Kafka bootstrap brokers (default: the test stack's). */
  kafkaBrokers?: string[];
  /** More of the bridge section (buffer, producer), beside the topic prefix. */
  bridge?: Record<string, unknown>;
  operator?: Record<string, unknown>;
  tracing?: Record<string, unknown>;
  /** Merged into the kafka section (TLS, SASL). */
  kafka?: Record<string, unknown>;
  /** Merged into the redis section (TLS, ACL user). */
  redis?: Record<string, unknown>;
}

export function testConfig(o: TestGatewayOptions = {}): ItradeConfig {
  const svc = services();
  const b = o.broker ?? {};
  return validateConfig(
    {
      log: { level: process.env.ITRADE_LOG_LEVEL ?? 'silent' },
      redis: { url: o.redisUrl ?? svc.redisUrl, keyPrefix: o.keyPrefix ?? `${unique('gw')}:`, ...o.redis },
      kafka: { brokers: o.kafkaBrokers ?? svc.kafkaBrokers, ...o.kafka },
      bridge: { ...o.bridge, topicPrefix: o.topicPrefix ?? `${unique('t')}.` },
      sovereignty: o.sovereignty ?? {},
      tracing: o.tracing ?? {},
      operator: { ...o.operator, http: { port: 0, ...(o.operator?.http as object) } },
      chain: {
        rpcUrl: o.rpcUrl ?? svc.rpcUrl,
        marketplace: o.marketplace ?? '',
        marketplaceBlock: o.fromBlock ?? 0,
        deploymentFile: '.cache/test-no-deployment.json',
      },
      broker: {
        ...b,
        listeners: {
          tcp: { host: '127.0.0.1', port: 0 },
          ws: { host: '127.0.0.1', port: 0 },
          ...(b.listeners as object),
        },
        http: { port: 0 },
        auth: { jwt: { secret: TEST_SECRET }, devSecret: false, ...(b.auth as object) },
        // A chain call under a loaded CI machine can take seconds: failing closed at the default 5 s
        // would refuse a SUBSCRIBE the test expects granted. Tests of the timeout set their own.
        entitlements: { pollIntervalMs: 200, rpcTimeoutMs: 30_000, ...(b.entitlements as object) },
      },
    },
    'test',
  );
}

export async function testGateway(o: TestGatewayOptions = {}, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const cfg = testConfig(o);
  return startGateway(cfg, { log: createLogger({ level: cfg.log.level }), ...deps });
}

export interface Connected {
  client: MqttClient;
  returnCode: number;
  sessionPresent: boolean;
}

/** Connects and resolves with the CONNACK return code (0 on success); never reconnects. */
export function connectMqtt(url: string, opts: IClientOptions): Promise<Connected> {
  return connackOf(mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...opts }));
}

/**
 * Like connectMqtt, but over TCP from a chosen local address: Linux routes all of 127.0.0.0/8 to
 * loopback, so 127.0.0.2 is a client from another network than 127.0.0.1.
 */
export function connectMqttFrom(localAddress: string, port: number, opts: IClientOptions): Promise<Connected> {
  const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...opts,
  });
  return connackOf(client);
}

function connackOf(client: MqttClient): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CONNACK within 10 s')), 10_000);
    client.on('packetreceive', (p: Packet) => {
      if (p.cmd !== 'connack') return;
      clearTimeout(timer);
      resolve({ client, returnCode: p.returnCode ?? 0, sessionPresent: p.sessionPresent });
    });
    client.on('error', () => undefined);
  });
}

/** The SUBACK granted list for these filters (128 = refused), read from the packet itself. */
export function subscribeAck(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no SUBACK within 10 s')), 10_000);
    const onPacket = (p: Packet) => {
      if (p.cmd !== 'suback') return;
      client.removeListener('packetreceive', onPacket);
      clearTimeout(timer);
      resolve((p.granted as (number | { qos: number })[]).map((g) => (typeof g === 'number' ? g : g.qos)));
    };
    client.on('packetreceive', onPacket);
    client.subscribe(filters, { qos }, () => undefined);
  });
}

/** Resolves 'acked' on PUBACK, 'closed' when the broker drops the connection first. */
export function publishAck(
  client: MqttClient,
  topic: string,
  payload: Buffer | string,
  qos: 0 | 1 = 1,
): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    const onClose = () => resolve('closed');
    client.once('close', onClose);
    client.publish(topic, payload, { qos }, (err) => {
      client.removeListener('close', onClose);
      resolve(err ? 'closed' : 'acked');
    });
  });
}

// Generous by default: it only runs long when what it waits for never comes, and a loaded CI
// machine (2 cores, the whole suite beside) can take many seconds for what takes one when quiet.
export function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined && v !== false) return resolve(v as T);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

export async function end(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => (c ? new Promise<void>((r) => c.end(true, {}, () => r())) : undefined)));
}

/** Where `marker` sends: in the principal's own tree, so its buyers/<p>/# or this filter receives it. */
export function markerTopic(principal: string): string {
  return `buyers/${principal}/marker`;
}

/**
 * Resolves once every client in `clients` (connections of `principal`, subscribed to
 * markerTopic) received a marker that `gw` published after this call. Everything `gw` put on the
 * cluster bus before, such as the entries of a device whose PUBACKs came back already, reached
 * those clients first: one bus connection per instance, delivered in order [MQTT-4.6.0-6]. So a
 * test that waits for the marker has seen every earlier delivery, a late extra one included,
 * without sleeping.
 */
export async function marker(gw: Pick<GatewayHandle, 'buyers'>, principal: string, ...clients: MqttClient[]) {
  const id = randomUUID();
  const topic = markerTopic(principal);
  const seen = clients.map(
    (c) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`marker ${id} not received within 30 s`)), 30_000);
        const on = (t: string, p: Buffer) => {
          if (t !== topic || p.toString() !== id) return;
          clearTimeout(timer);
          c.removeListener('message', on);
          resolve();
        };
        c.on('message', on);
      }),
  );
  await gw.buyers.send(principal, topic, Buffer.from(id), 1);
  await Promise.all(seen);
}

/** A principal's MQTT client on `gw`, signed in with a fresh principal JWT; throws unless CONNACK is 0. */
export async function connectPrincipal(
  gw: Pick<GatewayHandle, 'tokens' | 'mqtt'>,
  who: { principal: string; wallet: { address: string } },
  clientId = who.principal,
): Promise<MqttClient> {
  const token = (await gw.tokens.issuePrincipal(who.principal, who.wallet.address, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId,
    username: who.principal,
    password: token,
  });
  if (c.returnCode !== 0) throw new Error(`CONNACK ${c.returnCode} for ${clientId}`);
  return c.client;
}

/**
 * Polls `read` until it gives `want` or `timeoutMs` passes, and returns the last value: the caller
 * asserts it, so a miss shows the value it stopped at (a meter that follows PUBACKs, say).
 */
export async function settledValue(read: () => Promise<number>, want: number, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const v = await read();
    if (v === want || Date.now() - t0 > timeoutMs) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
