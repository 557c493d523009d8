// The options the gateway's Redis and Kafka clients connect with: TLS (files read once, here, at
// start-up, so a missing file fails before anything connects and names its key) and credentials.
// Every place that opens a Redis or Kafka connection for the gateway takes them from here, so
// the readiness probe, the bridge and the sessions all speak to the same secured endpoint. Redis
// clients also get lib/redis-connector.ts (a second socket error must not crash the process).
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { itradeError } from '../protocol/errors.ts';
import { resolvePath } from '../lib/paths.ts';
import { guardedConnector } from '../lib/redis-connector.ts';
import type { ItradeConfig } from './schema.ts';

type TlsClientConfig = ItradeConfig['kafka']['tls'];

/** What kafkajs needs besides brokers and client id. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;
/** What ioredis needs besides the URL (and the connector that keeps socket errors handled). */
export type RedisSecurity = Pick<RedisOptions, 'tls' | 'username' | 'password' | 'Connector'>;

function pem(file: string, key: string): Buffer | undefined {
  if (file === '') return undefined;
  try {
    return readFileSync(resolvePath(file));
  } catch (err) {
    throw itradeError('CONFIG_FILE', `${key}: cannot read ${file}`, { cause: err });
  }
}

/** node:tls options from a TLS section, or undefined when it is off. `at` is its config path. */
export function tlsClientOptions(t: TlsClientConfig, at: string): ConnectionOptions | undefined {
  if (!t.enabled) return undefined;
  if ((t.cert === '') !== (t.key === ''))
    throw itradeError('CONFIG_INVALID', `${at}.cert, ${at}.key: a client certificate needs both`);
  const opts: ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized };
  const [ca, cert, key] = [pem(t.ca, `${at}.ca`), pem(t.cert, `${at}.cert`), pem(t.key, `${at}.key`)];
  if (ca) opts.ca = ca;
  if (cert) opts.cert = cert;
  if (key) opts.key = key;
  if (t.servername !== '') opts.servername = t.servername;
  return opts;
}

export function kafkaSecurity(k: ItradeConfig['kafka']): KafkaSecurity {
  const out: KafkaSecurity = {};
  const ssl = tlsClientOptions(k.tls, 'kafka.tls');
  if (ssl) out.ssl = ssl;
  const { mechanism, username, password } = k.sasl;
  if (mechanism === 'none') return out;
  if (username === '' || password === '')
    throw itradeError(
      'CONFIG_INVALID',
      `kafka.sasl.username, kafka.sasl.password: SASL ${mechanism} needs both (the password from the environment)`,
    );
  out.sasl = { mechanism, username, password } as SASLOptions;
  return out;
}

export function redisSecurity(r: ItradeConfig['redis']): RedisSecurity {
  const out: RedisSecurity = { ...guardedConnector };
  const tls = tlsClientOptions(r.tls, 'redis.tls');
  if (tls) out.tls = tls;
  if (r.username !== '') out.username = r.username;
  if (r.password !== '') out.password = r.password;
  return out;
}
