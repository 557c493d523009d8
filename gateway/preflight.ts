// Before the gateway serves anything: do Redis and Kafka accept its credentials and its TLS?
// A wrong password or an untrusted certificate never heals by retrying, so it fails the start
// with an error naming the configuration key to fix. A service that is merely down does not:
// the bridge buffers until Kafka is back, ioredis reconnects (docs/operations.md).
import { Kafka, logLevel } from '../lib/kafkajs.ts';
import type { Redis } from 'ioredis';
import { itradeError, oneLine } from '../protocol/errors.ts';
import type { ItradeConfig } from '../config/schema.ts';
import type { Endpoints } from '../config/endpoints.ts';
import { kafkaSecurity, type KafkaSecurity } from '../config/clients.ts';
import type { Logger } from '../lib/log.ts';

// node:tls verification failures (err.code), and OpenSSL's alert when the server wants a
// client certificate we did not send or it does not trust.
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

type Chained = { name?: string; code?: string; message?: string; cause?: unknown; originalError?: unknown };

/** The error and every cause / kafkajs originalError beneath it. */
function chain(err: unknown): Chained[] {
  const out: Chained[] = [];
  for (let e = err as Chained | undefined; e && typeof e === 'object' && out.length < 8;) {
    out.push(e);
    e = (e.originalError ?? e.cause) as Chained | undefined;
  }
  return out;
}

function tlsKey(code: string, at: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${at}.servername`;
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA/.test(code)) return `${at}.cert`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return `${at}.enabled`;
  return `${at}.ca`;
}

/** The ItradeError a refused TLS handshake or refused credentials become, or undefined. */
export function refusal(err: unknown, svc: 'kafka' | 'redis', user: string): Error | undefined {
  const code = svc === 'kafka' ? 'KAFKA_AUTH' : 'REDIS_AUTH';
  for (const e of chain(err)) {
    const msg = e.message ?? '';
    if (e.name === 'KafkaJSSASLAuthenticationError' || /^(WRONGPASS|NOAUTH)/.test(msg)) {
      const key = svc === 'kafka' ? 'kafka.sasl.password' : 'redis.password';
      return itradeError(code, `${key}: ${svc} refused user "${user}": ${msg}`, { cause: err });
    }
    if (e.code && TLS_CODES.has(e.code))
      return itradeError(code, `${tlsKey(e.code, `${svc}.tls`)}: TLS with ${svc} failed: ${msg}`, { cause: err });
  }
  return undefined;
}

export async function preflightKafka(
  brokers: readonly string[],
  cfg: ItradeConfig['kafka'],
  security: KafkaSecurity,
  log: Logger,
  timeoutMs = 10_000,
): Promise<void> {
  if (!security.ssl && !security.sasl) return;
  const admin = new Kafka({
    ...security,
    brokers: [...brokers],
    clientId: `${cfg.clientId}-preflight`,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
  } catch (err) {
    const refused = refusal(err, 'kafka', cfg.sasl.username || '(none)');
    if (refused) throw refused;
    log.warn({ err: oneLine(err) }, 'kafka unreachable at start-up; the bridge waits for it');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A PING on the gateway's Redis connection. Refused credentials reject the PING; a refused TLS
 * handshake only shows as 'error' events while ioredis retries, so the first such event wins.
 */
export async function preflightRedis(redis: Redis, cfg: ItradeConfig['redis']): Promise<void> {
  const user = cfg.username || 'default';
  let onError: ((err: Error) => void) | undefined;
  const tls = new Promise<never>((_, reject) => {
    onError = (err: Error) => {
      const refused = refusal(err, 'redis', user);
      if (refused) reject(refused);
    };
    redis.on('error', onError);
  });
  try {
    await Promise.race([redis.ping(), tls]);
  } catch (err) {
    throw refusal(err, 'redis', user) ?? err;
  } finally {
    redis.off('error', onError!);
  }
}

/** Both services, in the order the gateway uses them. */
export async function preflight(cfg: ItradeConfig, ep: Endpoints, redis: Redis, log: Logger): Promise<void> {
  await preflightRedis(redis, cfg.redis);
  await preflightKafka(ep.kafkaBrokers, cfg.kafka, kafkaSecurity(cfg.kafka), log);
}
