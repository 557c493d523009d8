// The HS256 key: from the configuration (ITRADE_JWT_SECRET), or with broker.auth.devSecret a
// random development secret kept in Redis (<keyPrefix>dev:jwt-secret, SET NX), so every local
// gateway, and `itrade operator-token`, agree on it. Never for production: whoever can read
// that Redis can mint tokens. The gateway creates it; the CLI only reads it.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ItradeConfig } from '../config/schema.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';

type AuthConfig = ItradeConfig['broker']['auth'];

/** True when the key is the development secret in Redis (HS256 with no secret configured). */
export function usesDevSecret(auth: AuthConfig): boolean {
  return auth.jwt.alg === 'HS256' && auth.jwt.secret === '';
}

export interface SecretOptions {
  /** Create the secret when Redis has none yet (the gateway), or only read it (the CLI). */
  create: boolean;
  /** Where the warning goes when the development secret is used. */
  log?: Logger;
}

export async function jwtSecret(
  cfg: Pick<ItradeConfig, 'broker' | 'redis'>,
  redis: Pick<Redis, 'get' | 'set'>,
  opts: SecretOptions,
): Promise<string> {
  const a = cfg.broker.auth;
  if (!usesDevSecret(a)) return a.jwt.secret;
  if (!a.devSecret)
    throw itradeError(
      'AUTH_CONFIG',
      'broker.auth.jwt.secret is empty: set ITRADE_JWT_SECRET (or broker.auth.devSecret: true for local development)',
    );
  const key = `${cfg.redis.keyPrefix}dev:jwt-secret`;
  if (opts.create) await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  const secret = await redis.get(key);
  if (secret === null)
    throw itradeError(
      'AUTH_CONFIG',
      'no development JWT secret in Redis yet: start the gateway once (or set ITRADE_JWT_SECRET)',
    );
  opts.log?.warn(
    { redisKey: key },
    'using a development JWT secret kept in Redis: set ITRADE_JWT_SECRET and broker.auth.devSecret: false in ' +
      'production',
  );
  return secret;
}
