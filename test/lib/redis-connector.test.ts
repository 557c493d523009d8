// Canary for lib/redis-connector.ts, on a real ioredis against a local TCP server that accepts
// (no Redis needed: the tests only reach the socket):
// - ioredis builds its connector from the `Connector` option and uses the socket it returns;
// - without GuardedConnector, a second 'error' on the socket is unhandled (ioredis listens with
//   once()): when this fails, ioredis keeps its listener and GuardedConnector can go;
// - with it (as config/clients.ts redisSecurity gives every gateway client), the second error is
//   absorbed and ioredis still reports the first.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuardedConnector } from '../../lib/redis-connector.ts';
import { redisSecurity } from '../../config/clients.ts';
import { validateConfig } from '../../config/load.ts';

let server: Server;
let port: number;
const accepted: Socket[] = [];

test.before(async () => {
  server = createServer((s) => accepted.push(s));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  port = (server.address() as AddressInfo).port;
});

test.after(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((ok) => server.close(ok));
});

/** A client connected to the local server (no Redis handshake: the server never answers). */
async function connected(opts: Record<string, unknown>): Promise<{ redis: Redis; errors: Error[] }> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, ...opts });
  const errors: Error[] = [];
  redis.on('error', (err: Error) => errors.push(err));
  const socketUp = new Promise<void>((ok) => redis.once('connect', () => ok()));
  void redis.connect().catch(() => undefined); // waits for 'ready', which this server never gives
  await socketUp;
  return { redis, errors };
}

test('the gateway config gives every Redis client GuardedConnector', () => {
  const cfg = validateConfig({}, 'test');
  assert.is(redisSecurity(cfg.redis).Connector, GuardedConnector);
});

test('ioredis uses the Connector option and its socket', async () => {
  const { redis } = await connected({ Connector: GuardedConnector });
  try {
    assert.instance((redis as unknown as { connector: unknown }).connector, GuardedConnector);
    assert.ok(redis.stream.listenerCount('error') >= 1);
  } finally {
    redis.disconnect();
  }
});

test('without the guard a second socket error is unhandled (ioredis listens with once())', async () => {
  const { redis, errors } = await connected({});
  try {
    redis.stream.emit('error', new Error('first'));
    assert.equal(
      errors.map((e) => e.message),
      ['first'],
    );
    assert.throws(() => redis.stream.emit('error', new Error('second')), /second/);
  } finally {
    redis.disconnect();
  }
});

test('with the guard the second error is absorbed and ioredis reports the first', async () => {
  const { redis, errors } = await connected(redisSecurity(validateConfig({}, 'test').redis));
  try {
    redis.stream.emit('error', new Error('first'));
    redis.stream.emit('error', new Error('second'));
    assert.equal(
      errors.map((e) => e.message),
      ['first'],
    );
  } finally {
    redis.disconnect();
  }
});

test.run();
