// Canaries for the library internals the broker relies on: each fails when a new Aedes or
// mqemitter-redis changes what the gateway uses, before a user would notice. On a real Aedes
// (in memory) with a real MQTT client:
// - the PUBLISH handler calls the instance's `publish` (broker/server.ts keepSensorDataOffTheBus
//   replaces it on the instance to keep sensor data off the bus and out of Redis queues), and a
//   publish it does not hand on is still acknowledged;
// - every PUBACK reaches persistence.outgoingClearMessageId with its packet id (broker/server.ts
//   takePubacks), packet ids come from Client#_nextId (broker/feed.ts), and the 'connackSent'
//   event and Client#connackSent exist (a restored session's delivery waits for them);
// - a persistent session's SUBSCRIBE of several filters calls persistence.addSubscriptions with
//   the same list object for every filter, the whole list each time (broker/server.ts
//   storeSubscriptionsOnce stores it once per list object);
// - Client#pause (broker/lifecycle.ts, shutdown): exists, and a paused client's packets stay
//   unread in its socket;
// - Client#subscriptions (broker/roster.ts, the operator's client list): an object keyed by the
//   topic filters the client holds, updated on SUBSCRIBE and UNSUBSCRIBE;
// - mqemitter-redis' MQEmitterRedisPrefix and its `state` emitter (broker/server.ts): exported,
//   and connection errors come out on `state`.
// (aedes-persistence-redis' key layout, read by operator/admin.ts, is checked on a real Redis by
// test/integration/admin.test.ts: a stored session must be listed with its subscription.)
// (mqtt-packet's parser internals have their own canary: test/broker/limits/packet-guard.test.ts.)
// (node:tls and node:http taking a socket after its PROXY header was read off it, broker/proxy-listener.ts:
// test/broker/proxy-listener.test.ts.)
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import mqemitterRedis from 'mqemitter-redis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqttPacket from 'mqtt-packet';
import type { PacketIds } from '../../broker/feed.ts';
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

test("the PUBLISH handler hands a client's publish to the instance's own `publish` (keepSensorDataOffTheBus)", () =>
  withRig(async (r, connect) => {
    const seen: string[] = [];
    type Publish = (p: unknown, c: unknown, done: () => void) => void;
    const own = r.broker.publish.bind(r.broker) as unknown as Publish;
    (r.broker as unknown as { publish: Publish }).publish = ((p: { topic: string }, c: unknown, done: () => void) => {
      seen.push(p.topic);
      if (p.topic.startsWith('drop/')) return (typeof c === 'function' ? c : done)();
      return own(p, c, done);
    }) as never;
    const sub = await connect('buyer');
    const got = messages(sub);
    await sub.subscribeAsync('#', { qos: 1 });
    const dev = await connect('device');
    await dev.publishAsync('drop/x', 'x', { qos: 1 }); // acknowledged although not handed on
    await dev.publishAsync('keep/y', 'y', { qos: 1 });
    await until('keep/y arrives', () => got.some((m) => m.topic === 'keep/y'));
    assert.ok(seen.includes('drop/x') && seen.includes('keep/y'), 'aedes no longer calls broker.publish');
    assert.not.ok(
      got.some((m) => m.topic === 'drop/x'),
      'a publish the own publish dropped was delivered',
    );
  }));

test('a PUBACK reaches persistence.outgoingClearMessageId; ids come from Client#_nextId; connackSent', () =>
  withRig(async (r, connect) => {
    const connacks: string[] = [];
    r.broker.on('connackSent', (_p, client) => connacks.push(client.id));
    const c = await connect('buyer');
    await until('connackSent is emitted', () => connacks.includes('buyer'));
    const { client, conn } = r.accepted[0]!;
    assert.is((client as unknown as { connackSent?: boolean }).connackSent, true, 'no Client#connackSent');
    const ids = client as unknown as Partial<PacketIds>;
    assert.type(ids._nextId, 'number', 'aedes Client#_nextId is gone');
    const persistence = (r.broker as unknown as { persistence: unknown }).persistence as {
      outgoingClearMessageId: (c: Client, p: { messageId: number }) => Promise<unknown>;
    };
    const acked: number[] = [];
    const clear = persistence.outgoingClearMessageId.bind(persistence);
    persistence.outgoingClearMessageId = (cl, p) => (acked.push(p.messageId), clear(cl, p));
    const got = messages(c);
    await c.subscribeAsync('t/#', { qos: 1 });
    const messageId = 4242;
    mqttPacket.writeToStream(
      { cmd: 'publish', topic: 't/own', payload: Buffer.from('own'), qos: 1, messageId, retain: false, dup: false },
      conn,
    );
    await until('the PUBACK of the own packet is seen', () => acked.includes(messageId));
    assert.equal(got, [{ topic: 't/own', payload: 'own', qos: 1 }]);
    const before = ids._nextId!;
    await publish(r.broker, 't/aedes', 'a'); // aedes' own QoS 1 delivery takes the next id
    await until('aedes delivers', () => got.length === 2);
    await until('its PUBACK is seen', () => acked.includes(before));
    assert.is(ids._nextId, before + 1, 'aedes no longer allocates packet ids from Client#_nextId');
  }));

test('a persistent SUBSCRIBE stores the same list object once per filter (storeSubscriptionsOnce)', () =>
  withRig(async (r) => {
    const persistence = (r.broker as unknown as { persistence: unknown }).persistence as {
      addSubscriptions: (c: Client, subs: { topic: string }[]) => Promise<unknown>;
    };
    const lists: { topic: string }[][] = [];
    const add = persistence.addSubscriptions.bind(persistence);
    persistence.addSubscriptions = (c, subs) => (lists.push(subs), add(c, subs));
    const c = await mqtt.connectAsync(r.url, { clientId: 'persistent', clean: false, reconnectPeriod: 0 });
    try {
      const filters = ['s/1', 's/2', 's/3', 's/4'];
      await c.subscribeAsync(filters, { qos: 1 });
      assert.is(
        lists.length,
        filters.length,
        'aedes no longer stores the list once per filter: storeSubscriptionsOnce may go',
      );
      assert.ok(
        lists.every((l) => l === lists[0]),
        'aedes passes a different list object per filter: storeSubscriptionsOnce would store each',
      );
      assert.equal(
        lists[0]!.map((s) => s.topic),
        filters,
        'the list is no longer the whole SUBSCRIBE',
      );
    } finally {
      await c.endAsync(true);
    }
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
