// The public HTTP API's answers to bad requests, through fastify's inject: every refusal has its
// own status and a registered code; a bug is a 500 with a generic message and an error log line.
// No request here reaches Redis except the outage case, whose Redis port has no server.
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChallengeStore } from '../../auth/challenge.ts';
import { TokenService } from '../../auth/jwt.ts';
import { RevocationStore } from '../../auth/revocation.ts';
import { buildApi } from '../../http/api.ts';
import type { Entitlements } from '../../interfaces/layers.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { captureLog } from '../helpers/bridge-fakes.ts';

const SECRET = 'unit-test-secret-of-at-least-32-bytes!';
const JWT = {
  alg: 'HS256',
  secret: SECRET,
  privateKeyFile: '',
  publicKeyFile: '',
  issuer: 'i',
  audience: 'a',
} as const;
const ADDRESS = '0x' + 'ab'.repeat(20);

/** A Redis client on a port nothing listens on: every command fails as in a Redis outage. */
function deadRedis(): Redis {
  const r = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  return r;
}

async function api(log: Logger = createLogger({ level: 'silent' })) {
  const redis = deadRedis();
  const tokens = await TokenService.create(JWT);
  const app = buildApi({
    tokens,
    challenges: new ChallengeStore(redis, 't:', { ttlSec: 60, domain: 'd', uri: 'http://d', chainId: 1 }),
    revocations: new RevocationStore(redis, redis, 't:', 3600, log),
    entitlements: {} as Entitlements,
    registrations: { sensorRegistration: async () => undefined },
    ttl: { principal: 60, sensor: 60 },
    log,
  });
  app.addHook('onClose', () => redis.disconnect());
  return { app, tokens };
}

type ErrorBody = { error: { code: string; message: string } };

async function post(
  app: Awaited<ReturnType<typeof api>>['app'],
  url: string,
  payload: string,
  type = 'application/json',
) {
  const res = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
  return { status: res.statusCode, body: res.json() as ErrorBody, headers: res.headers };
}

test('a 2 MiB body gets 413 with its own code, not 503 CHAIN_UNAVAILABLE', async () => {
  const { app } = await api();
  const big = JSON.stringify({ address: ADDRESS, pad: 'x'.repeat(2 * 1024 * 1024) });
  const r = await post(app, '/v1/auth/challenge', big);
  assert.equal([r.status, r.body.error.code], [413, 'ITRADE_ERR_HTTP_BODY_TOO_LARGE']);
  assert.match(r.body.error.message, /16 KiB/);
  await app.close();
});

test('malformed JSON gets 400 HTTP_BAD_JSON; an empty JSON body too', async () => {
  const { app } = await api();
  const r = await post(app, '/v1/auth/challenge', '{"address": ');
  assert.equal([r.status, r.body.error.code], [400, 'ITRADE_ERR_HTTP_BAD_JSON']);
  const empty = await post(app, '/v1/auth/challenge', '');
  assert.equal([empty.status, empty.body.error.code], [400, 'ITRADE_ERR_HTTP_BAD_JSON']);
  await app.close();
});

test('schema validation: 400 naming the missing, malformed or unknown field', async () => {
  const { app } = await api();
  const missing = await post(app, '/v1/auth/challenge', '{}');
  assert.equal([missing.status, missing.body.error.code], [400, 'ITRADE_ERR_BROKER_BAD_REQUEST']);
  assert.match(missing.body.error.message, /^address: required/);
  const bad = await post(app, '/v1/auth/challenge', JSON.stringify({ address: 'nope' }));
  assert.is(bad.body.error.message, 'address: must be a 0x-prefixed 20-byte hex address');
  const extra = await post(app, '/v1/auth/challenge', JSON.stringify({ address: ADDRESS, adress: 1 }));
  assert.equal([extra.status, extra.body.error.message], [400, 'adress: unknown field (allowed: address)']);
  const notObject = await post(app, '/v1/auth/login', '[1]');
  assert.equal([notObject.status, notObject.body.error.message], [400, 'body: must be a JSON object']);
  const sig = await post(app, '/v1/auth/login', JSON.stringify({ nonce: 'a'.repeat(32), signature: '0x12' }));
  assert.equal([sig.status, sig.body.error.message], [400, 'signature: must be a 65-byte 0x-hex signature']);
  const none = await app.inject({ method: 'POST', url: '/v1/auth/challenge' });
  assert.equal([none.statusCode, (none.json() as ErrorBody).error.message], [400, 'body: must be a JSON object']);
  await app.close();
});

test('a mixed-case address whose EIP-55 checksum does not match is a typo: 400, not 503', async () => {
  const { app } = await api();
  const typo = '0x' + 'aB'.repeat(20);
  const r = await post(app, '/v1/auth/challenge', JSON.stringify({ address: typo }));
  assert.equal([r.status, r.body.error.code], [400, 'ITRADE_ERR_BROKER_BAD_REQUEST']);
  assert.match(r.body.error.message, /^address: .*EIP-55 checksum/);
  await app.close();
});

test('the token is checked before the body: no bearer gets 401 whatever the body', async () => {
  const { app } = await api();
  const r = await post(app, '/v1/sensors/activate', '{"txHash": 1}');
  assert.equal([r.status, r.body.error.code], [401, 'ITRADE_ERR_AUTH_TOKEN_MISSING']);
  await app.close();
});

test('unsupported media type gets 415; text/plain is not JSON', async () => {
  const { app } = await api();
  const r = await post(app, '/v1/auth/challenge', `{"address":"${ADDRESS}"}`, 'text/plain');
  assert.equal([r.status, r.body.error.code], [415, 'ITRADE_ERR_HTTP_MEDIA_TYPE']);
  const none = await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: Buffer.from('x') });
  assert.equal([none.statusCode, (none.json() as ErrorBody).error.code], [415, 'ITRADE_ERR_HTTP_MEDIA_TYPE']);
  await app.close();
});

test('unknown route 404, known route with another method 405 with Allow', async () => {
  const { app } = await api();
  const nf = await app.inject({ url: '/v1/nothing-here' });
  assert.equal([nf.statusCode, (nf.json() as ErrorBody).error.code], [404, 'ITRADE_ERR_HTTP_NOT_FOUND']);
  assert.match((nf.json() as ErrorBody).error.message, /GET \/v1\/nothing-here/);
  const na = await app.inject({ method: 'GET', url: '/v1/auth/challenge' });
  assert.equal([na.statusCode, (na.json() as ErrorBody).error.code], [405, 'ITRADE_ERR_HTTP_METHOD_NOT_ALLOWED']);
  assert.is(na.headers.allow, 'POST');
  await app.close();
});

test('a Redis outage is 503 GATEWAY_NOT_READY, not a bug', async () => {
  const { app } = await api();
  const r = await post(app, '/v1/auth/challenge', JSON.stringify({ address: ADDRESS }));
  assert.equal([r.status, r.body.error.code], [503, 'ITRADE_ERR_GATEWAY_NOT_READY']);
  await app.close();
});

test('any other error is a bug: 500 with a generic message and one error log line', async () => {
  const { log, lines } = captureLog();
  const { app } = await api(log);
  app.get('/v1/boom', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'secret')");
  });
  const res = await app.inject({ url: '/v1/boom' });
  const body = res.json() as ErrorBody;
  assert.equal([res.statusCode, body.error.code], [500, 'ITRADE_ERR_HTTP_INTERNAL']);
  assert.not.match(body.error.message, /secret/);
  const logged = lines.filter((l) => l.level === 50);
  assert.is(logged.length, 1);
  assert.match(JSON.stringify(logged[0]), /reading 'secret'/);
  assert.is(lines.filter((l) => l.level === 40).length, 0, 'no misleading warning');
  await app.close();
});

test.run();
