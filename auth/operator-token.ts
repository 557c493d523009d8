// An operator JWT (the bearer of POST /v1/admin/revoke and the MQTT password for $SYS), signed
// with the gateway's key. With the development secret (auth/dev-secret.ts) the key is the one
// the running gateways share through Redis, so Redis (at the URL the caller gives) must answer.
import { Redis } from 'ioredis';
import type { ItradeConfig } from '../config/schema.ts';
import { jwtSecret, usesDevSecret } from './dev-secret.ts';
import { TokenService } from './jwt.ts';
import { redisSecurity } from '../config/clients.ts';
import { isItradeError, itradeError } from '../protocol/errors.ts';

export const OPERATOR_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export async function issueOperatorToken(
  cfg: ItradeConfig,
  name: string,
  redisUrl: string,
): Promise<{ token: string; expiresAt: number }> {
  if (!OPERATOR_NAME.test(name))
    throw itradeError('BROKER_BAD_REQUEST', `operator name "${name}": use 1 to 64 of A-Z a-z 0-9 _ . -`);
  const a = cfg.broker.auth;
  const secret = usesDevSecret(a) ? await readDevSecret(cfg, redisUrl) : a.jwt.secret;
  const tokens = await TokenService.create(a.jwt, secret);
  const t = await tokens.issueOperator(name, a.operatorTokenTtlSec);
  return { token: t.token, expiresAt: t.expiresAt };
}

async function readDevSecret(cfg: ItradeConfig, url: string): Promise<string> {
  const redis = new Redis(url, {
    ...redisSecurity(cfg.redis),
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // reported by connect() below
  try {
    // Without devSecret this refuses before Redis is asked.
    if (cfg.broker.auth.devSecret) await redis.connect();
    return await jwtSecret(cfg, redis, { create: false });
  } catch (err) {
    throw isItradeError(err) ? err : itradeError('STACK_UNREACHABLE', `redis ${url} does not answer`, { cause: err });
  } finally {
    redis.disconnect();
  }
}
