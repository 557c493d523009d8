// Canaries for the library internals the broker relies on: each fails when a new Aedes or
// mqemitter-redis changes what the gateway uses, before a user would notice. On a real Aedes
// (in memory) with a real MQTT client:
// - Client#deliverQoS (broker/forward.ts, redelivery of held entries): exists, runs
//   authorizeForward before it returns, writes the packet with its payload and QoS, and a
//   brokerId of null neither is dropped by nor poisons aedes' per-broker dedupe;
// - Client#pause (broker/lifecycle.ts, shutdown): exists, and a paused client's packets stay
//   unread in its socket;
// - Client#subscriptions (broker/roster.ts, the operator's client list): an object keyed by the
//   topic filters the client holds, updated on SUBSCRIBE and UNSUBSCRIBE;
// - mqemitter-redis' MQEmitterRedisPrefix and its `state` emitter (broker/server.ts): exported,
//   and connection errors come out on `state`.
// (aedes-persistence-redis' key layout, read by operator/admin.ts, is checked on a real Redis by
// test/integration/admin.test.ts: a stored session must be listed with its subscription.)
// (mqtt-packet's parser internals have their own canary: test/broker/limits/packet-guard.test.ts.)
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import mqemitterRedis from 'mqemitter-redis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Deliverable } from '../../broker/forward.ts';
import type { Pausable } from '../../broker/lifecycle.ts';
import { subscribedTopics, type WithSubscriptions } from '../../broker/roster.ts';

interface Rig {
  broker: Aedes;
  server: Server;
  /** The server side of each connection, in accept order. */
  accepted: { client: Client; conn: Socket }[];
  forwarded: { topic: string; payload: string; sync: boolean }[];
  published: string[];
  /** True while the test calls into aedes synchronously (authorizeForward records whether it ran inside). */
  inCall: boolean;
  url: string;
}

async function rig(): Promise<Rig> {
  const r = { accepted: [], forwarded: [], published: [], inCall: false } as unknown as Rig;
  r.broker = await Aedes.createBroker({
    authorizeForward: (_c: Client, p: AedesPublishPacket) => {
      r.forwarded.push({ topic: p.topic, payload: String(p.payload), sync: r.inCall });
      return p;
    },
    authorizePublish: (_c, p, done) => {
      r.published.push(p.topic);
      done(null);
    },
  });
  r.server = createServer((conn) => r.accepted.push({ client: r.broker.handle(conn), conn }));
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', () => ok()));
  r.url = `mqtt://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  return r;
}

/** Runs `body` on a fresh rig and always takes it down, so a failing canary fails fast. */
async function withRig(body: (r: Rig, connect: (id: string) => Promise<MqttClient>) => Promise<void>): Promise<void> {
  const r = await rig();
  const clients: MqttClient[] = [];
  const connect = async (clientId: string) => {
    const c = await mqtt.connectAsync(r.url, { clientId, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };
  try {
    await body(r, connect);
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await new Promise<void>((ok) => r.broker.close(() => ok()));
    await new Promise((ok) => r.server.close(ok));
  }
}

function messages(c: MqttClient): { topic: string; payload: string; qos: number }[] {
  const got: { topic: string; payload: string; qos: number }[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: String(payload), qos: packet.qos }));
  return got;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((ok) => setTimeout(ok, 10));
  assert.ok(check(), what);
}

function publish(broker: Aedes, topic: string, payload: string): Promise<void> {
  return new Promise((ok) =>
    broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, () =>
      ok(),
    ),
  );
}

test('Client#deliverQoS: authorizeForward runs inside the call; the packet is written; dedupe untouched', () =>
  withRig(async (r, connect) => {
    const c = await connect('buyer');
    const got = messages(c);
    await c.subscribeAsync('t/#', { qos: 1 });
    await publish(r.broker, 't/live-1', 'one'); // a live entry: aedes' counter for this broker moves on
    await until('live-1 arrives', () => got.length === 1);

    const server = r.accepted[0]!.client as unknown as Partial<Deliverable>;
    assert.type(server.deliverQoS, 'function', 'aedes Client#deliverQoS is gone');
    const held = { cmd: 'publish', topic: 't/held', payload: Buffer.from('held'), qos: 1 as const };
    r.inCall = true;
    server.deliverQoS!({ ...held, retain: false, dup: false, brokerId: null }, () => undefined);
    r.inCall = false;
    assert.equal(
      r.forwarded.at(-1),
      { topic: 't/held', payload: 'held', sync: true },
      'authorizeForward did not run inside deliverQoS (the lease counts prepaid entries on that)',
    );
    await until('the held entry arrives', () => got.length === 2);
    assert.equal(got[1], { topic: 't/held', payload: 'held', qos: 1 });

    await publish(r.broker, 't/live-2', 'two'); // brokerId null must not have poisoned the dedupe
    await until('live-2 arrives after the redelivery', () => got.length === 3);
    assert.equal(
      got.map((m) => m.topic),
      ['t/live-1', 't/held', 't/live-2'],
    );
  }));

test("Client#pause: a paused client's packets stay unread in its socket", () =>
  withRig(async (r, connect) => {
    const c = await connect('device');
    await c.publishAsync('t/before', 'x', { qos: 1 });
    assert.equal(r.published, ['t/before']);
    const { client, conn } = r.accepted[0]!;
    const pausable = client as Partial<Pausable>;
    assert.type(pausable.pause, 'function', 'aedes Client#pause is gone');
    pausable.pause!();
    // aedes reads in its own 'readable' listener, which runs before this one: bytes still there now
    // were left unread by it.
    const unread = new Promise<number>((ok) => conn.once('readable', () => ok(conn.readableLength)));
    c.publish('t/after', 'y', { qos: 1 });
    assert.ok((await unread) > 0, 'the paused client read the PUBLISH');
    assert.equal(r.published, ['t/before'], 'a paused client published');
  }));

test('Client#subscriptions: keyed by the filters the client holds, after SUBSCRIBE and UNSUBSCRIBE', () =>
  withRig(async (r, connect) => {
    const c = await connect('buyer');
    const server = r.accepted[0]!.client as unknown as WithSubscriptions;
    assert.type(server.subscriptions, 'object', 'aedes Client#subscriptions is gone');
    await c.subscribeAsync(['t/a', 't/b/#'], { qos: 1 });
    assert.equal(subscribedTopics(server), ['t/a', 't/b/#']);
    await c.unsubscribeAsync('t/a');
    assert.equal(subscribedTopics(server), ['t/b/#']);
  }));

test('mqemitter-redis: MQEmitterRedisPrefix is exported and reports connection errors on `state`', async () => {
  const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as {
    MQEmitterRedisPrefix?: new (prefix: string, o: object) => { state: EventEmitter; close(cb: () => void): void };
  };
  assert.type(MQEmitterRedisPrefix, 'function', 'mqemitter-redis no longer exports MQEmitterRedisPrefix');
  // A port nothing listens on (taken and released): the connection fails at once.
  const port = await new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => ok(p));
    });
  });
  const mq = new MQEmitterRedisPrefix!('canary/', {
    connectionString: `redis://127.0.0.1:${port}`,
    retryStrategy: () => null,
    lazyConnect: false,
  });
  assert.ok(mq.state && typeof mq.state.on === 'function', 'no `state` emitter');
  const err = await new Promise<Error>((ok) => mq.state.once('error', ok));
  assert.match(err.message, /ECONNREFUSED/);
  await new Promise<void>((ok) => mq.close(() => ok()));
});

test.run();
