// An operator JWT (the bearer of POST /v1/admin/revoke and the MQTT password for $SYS), signed
// with the gateway's key. With the development secret (HS256, empty secret, devSecret) the key
// is the one the running gateways share through Redis, so Redis must answer.
import { Redis } from 'ioredis';
import type { ItradeConfig } from '../config/schema.ts';
import { TokenService } from './jwt.ts';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { LocalStack } from '../stack/stack.ts';

export const OPERATOR_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export async function issueOperatorToken(
  cfg: ItradeConfig,
  name: string,
): Promise<{ token: string; expiresAt: number }> {
  if (!OPERATOR_NAME.test(name))
    throw itradeError('BROKER_BAD_REQUEST', `operator name "${name}": use 1 to 64 of A-Z a-z 0-9 _ . -`);
  const a = cfg.broker.auth;
  const secret = a.jwt.alg === 'HS256' && a.jwt.secret === '' ? await devSecret(cfg) : a.jwt.secret;
  const tokens = await TokenService.create(a.jwt, secret);
  const t = await tokens.issueOperator(name, a.operatorTokenTtlSec);
  return { token: t.token, expiresAt: t.expiresAt };
}

async function devSecret(cfg: ItradeConfig): Promise<string> {
  if (!cfg.broker.auth.devSecret)
    throw itradeError('AUTH_CONFIG', 'broker.auth.jwt.secret is empty: set ITRADE_JWT_SECRET');
  const url = new LocalStack(cfg, createLogger({ level: 'silent' })).endpoints().redisUrl;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // reported by connect() below
  try {
    await redis.connect();
    const secret = await redis.get(`${cfg.redis.keyPrefix}dev:jwt-secret`);
    if (!secret)
      throw itradeError(
        'AUTH_CONFIG',
        'no development JWT secret in Redis yet: start the gateway once (or set ITRADE_JWT_SECRET)',
      );
    return secret;
  } catch (err) {
    throw isItradeError(err) ? err : itradeError('STACK_UNREACHABLE', `redis ${url} does not answer`, { cause: err });
  } finally {
    redis.disconnect();
  }
}
