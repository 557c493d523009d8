// config/audit.ts: every insecure setting is found and named by its key; the production profile
// (operator.production or NODE_ENV=production) refuses the fatal ones, and only those.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { audit, enforceProfile } from '../../config/audit.ts';

const SECRET = 'a-production-secret-that-is-32-bytes-or-more';
const safe = {
  broker: {
    auth: { jwt: { secret: SECRET }, devSecret: false },
    listeners: { tcp: { enabled: false }, ws: { enabled: false } },
  },
};
const cfg = (raw: object) => validateConfig(raw, 'test.yaml');
const keys = (raw: object) => audit(cfg(raw)).map((f) => f.key);

test('a configuration with nothing insecure has no findings and passes the production profile', () => {
  assert.equal(keys(safe), []);
  assert.equal(enforceProfile(cfg(safe), { NODE_ENV: 'production' }), []);
});

test('the shipped defaults: dev secret, public MQTT in clear text, HTTP API on loopback behind it', () => {
  assert.equal(keys({}), ['broker.auth.devSecret', 'broker.listeners.tcp', 'broker.listeners.ws', 'broker.http.host']);
});

test('clients: TLS checks off, PLAIN without TLS, remote Redis and Kafka in clear text or without a password', () => {
  const raw = {
    ...safe,
    kafka: { brokers: ['kafka.example.com:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
    redis: { url: 'redis://redis.example.com:6379', tls: { rejectUnauthorized: false } },
  };
  assert.equal(keys(raw), [
    'redis.tls.rejectUnauthorized',
    'kafka.sasl.mechanism',
    'kafka.tls.enabled',
    'redis.tls.enabled',
    'redis.password',
  ]);
});

test('the production profile refuses the development secret, by NODE_ENV or by operator.production', () => {
  assert.throws(() => enforceProfile(cfg({}), { NODE_ENV: 'production' }), /^broker\.auth\.devSecret: refused/);
  assert.throws(() => enforceProfile(cfg({ operator: { production: true } }), {}), /broker\.auth\.devSecret/);
  assert.is(enforceProfile(cfg({}), { NODE_ENV: 'test' }).length, 4, 'outside it: warnings only');
});

test('a warning that is not fatal does not stop a production start', () => {
  const raw = { ...safe, broker: { ...safe.broker, listeners: {} } };
  assert.equal(
    enforceProfile(cfg(raw), { NODE_ENV: 'production' }).map((f) => f.fatal),
    [false, false, false],
  );
});

test('certificate identity without a listener that verifies client certificates is reported', () => {
  const listeners = { ...safe.broker.listeners, tls: { certIdentity: 'both' } };
  assert.equal(keys({ broker: { ...safe.broker, listeners } }), ['broker.listeners.tls.certIdentity']);
});

test('the PROXY protocol without a trusted proxy is reported for each listener that has it on', () => {
  const listeners = {
    tcp: { enabled: false },
    ws: { enabled: false },
    tls: { enabled: true, host: '127.0.0.1', proxyProtocol: true },
  };
  const raw = { broker: { ...safe.broker, listeners } };
  assert.equal(keys(raw), ['broker.listeners.tls.proxyProtocol']);
  assert.equal(keys({ ...raw, sovereignty: { trustedProxies: ['10.0.0.0/8'] } }), []);
});

test.run();
