// The JWT key, decided in one place (auth/dev-secret.ts) for the gateway and for
// `itrade operator-token`: the configured secret, else the development secret shared through a
// real Redis, else a refusal that names ITRADE_JWT_SECRET.
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jwtSecret } from '../../auth/dev-secret.ts';
import { TokenService } from '../../auth/jwt.ts';
import { issueOperatorToken } from '../../auth/operator-token.ts';
import { validateConfig } from '../../config/load.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { captureLog } from '../helpers/bridge-fakes.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const redis = new Redis(svc.redisUrl);

function config(auth: Record<string, unknown>) {
  return validateConfig({ redis: { url: svc.redisUrl, keyPrefix: `${unique('sec')}:` }, broker: { auth } }, 'test');
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isItradeError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('was not refused');
}

test.after(async () => {
  await redis.quit();
});

test('the development secret is created once in Redis and shared: every gateway and the CLI agree', async () => {
  const cfg = config({ devSecret: true, jwt: { secret: '' } });
  const { log, lines } = captureLog();
  const other = new Redis(svc.redisUrl); // another gateway's connection
  const [a, b] = await Promise.all([
    jwtSecret(cfg, redis, { create: true, log }),
    jwtSecret(cfg, other, { create: true }),
  ]);
  await other.quit();
  assert.is(a, b);
  assert.ok(Buffer.byteLength(a) >= 32);
  assert.is(await redis.get(`${cfg.redis.keyPrefix}dev:jwt-secret`), a);
  assert.is(await jwtSecret(cfg, redis, { create: false }), a);
  assert.ok(
    lines.some((l) => l.level === 40 && String(l.msg).includes('ITRADE_JWT_SECRET')),
    'a warning says so',
  );
  // The CLI's operator token verifies with the gateway's key.
  const { token } = await issueOperatorToken(cfg, 'ops', svc.redisUrl);
  const id = await (await TokenService.create(cfg.broker.auth.jwt, a)).verify(token);
  assert.equal([id.kind, id.sub], ['operator', 'operator:ops']);
});

test('reading only: no secret in Redis yet is refused, telling what to do', async () => {
  const cfg = config({ devSecret: true, jwt: { secret: '' } });
  const r = await refusal(jwtSecret(cfg, redis, { create: false }));
  assert.is(r.code, 'ITRADE_ERR_AUTH_CONFIG');
  assert.match(r.message, /no development JWT secret in Redis yet.*ITRADE_JWT_SECRET/);
});

test('no devSecret: gateway and CLI refuse an empty secret alike, naming ITRADE_JWT_SECRET', async () => {
  const cfg = config({ devSecret: false, jwt: { secret: '' } });
  const expected = {
    code: 'ITRADE_ERR_AUTH_CONFIG',
    message:
      'broker.auth.jwt.secret is empty: set ITRADE_JWT_SECRET (or broker.auth.devSecret: true for local development)',
  };
  assert.equal(await refusal(jwtSecret(cfg, redis, { create: true })), expected);
  // Redis is not asked at all: a URL nothing answers on changes nothing.
  assert.equal(await refusal(issueOperatorToken(cfg, 'ops', 'redis://127.0.0.1:1')), expected);
  assert.is(await redis.exists(`${cfg.redis.keyPrefix}dev:jwt-secret`), 0);
});

test('a configured secret is used as it is; Redis is not asked', async () => {
  const secret = 'a-configured-secret-of-at-least-32-bytes';
  const cfg = config({ devSecret: true, jwt: { secret } });
  const unreachable = { get: () => Promise.reject(new Error('asked')), set: () => Promise.reject(new Error('asked')) };
  assert.is(await jwtSecret(cfg, unreachable as never, { create: true }), secret);
});

test.run();
