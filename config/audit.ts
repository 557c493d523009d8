// What in a configuration is insecure: `itrade config check` prints every finding, the gateway
// logs them at start-up, and under the production profile (operator.production or
// NODE_ENV=production) the fatal ones stop the start. Each finding names its key.
import type { ItradeConfig } from './schema.ts';
import { itradeError } from '../protocol/errors.ts';

export interface Finding {
  key: string;
  why: string;
  /** Refused under the production profile. */
  fatal: boolean;
}

const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\])/;
const isPublic = (host: string) => !LOOPBACK.test(host);

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

export function audit(cfg: ItradeConfig): Finding[] {
  const f: Finding[] = [];
  const add = (key: string, why: string, fatal = false) => f.push({ key, why, fatal });
  const a = cfg.broker.auth;
  if (a.jwt.alg === 'HS256' && a.jwt.secret === '' && a.devSecret)
    add('broker.auth.devSecret', 'tokens are signed with a development secret anyone who reads Redis can use', true);
  const l = cfg.broker.listeners;
  const publicMqtt = (['tcp', 'ws', 'tls'] as const).filter((n) => l[n].enabled && isPublic(l[n].host));
  for (const n of publicMqtt.filter((n) => n !== 'tls'))
    add(`broker.listeners.${n}`, 'MQTT without TLS on a public interface: tokens travel in clear text');
  if (cfg.broker.http.enabled && publicMqtt.length > 0 && !isPublic(cfg.broker.http.host))
    add('broker.http.host', `the HTTP API listens on loopback while MQTT (${publicMqtt.join(', ')}) is public`);
  if (isPublic(cfg.operator.http.host)) add('operator.http.host', '/metrics and /readyz on a public interface');
  for (const n of (['tcp', 'tls', 'ws'] as const).filter((n) => l[n].enabled && l[n].proxyProtocol))
    if (cfg.sovereignty.trustedProxies.length === 0)
      add(
        `broker.listeners.${n}.proxyProtocol`,
        'no sovereignty.trustedProxies: no PROXY header is read, the balancer address is judged',
      );
  const t = l.tls;
  if (t.certIdentity !== 'off' && (!t.enabled || t.clientCerts === 'none' || t.caFile === ''))
    add(
      'broker.listeners.tls.certIdentity',
      'no verified client certificate can reach it: set tls.enabled, tls.caFile and tls.clientCerts',
    );
  for (const svc of ['kafka', 'redis'] as const) {
    if (!cfg[svc].tls.rejectUnauthorized)
      add(`${svc}.tls.rejectUnauthorized`, `the ${svc} server certificate is not verified`, true);
  }
  const k = cfg.kafka;
  if (k.sasl.mechanism === 'plain' && !k.tls.enabled)
    add('kafka.sasl.mechanism', 'SASL PLAIN without kafka.tls sends the password in clear text', true);
  if (!k.tls.enabled && k.brokers.some((b) => isPublic(b.replace(/:\d+$/, ''))))
    add('kafka.tls.enabled', 'Kafka on another host without TLS');
  const r = cfg.redis;
  const redisHost = hostOf(r.url);
  if (redisHost !== '' && isPublic(redisHost)) {
    if (!r.tls.enabled && !r.url.startsWith('rediss:')) add('redis.tls.enabled', 'Redis on another host without TLS');
    if (r.password === '' && !/^rediss?:\/\/[^@/]*:[^@/]+@/.test(r.url))
      add('redis.password', 'Redis on another host without a password');
  }
  return f;
}

export function productionProfile(cfg: ItradeConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return cfg.operator.production || env.NODE_ENV === 'production';
}

/** Under the production profile, the first fatal finding stops the start. */
export function enforceProfile(cfg: ItradeConfig, env: NodeJS.ProcessEnv = process.env): Finding[] {
  const findings = audit(cfg);
  const fatal = findings.find((x) => x.fatal);
  if (fatal && productionProfile(cfg, env))
    throw itradeError('CONFIG_INVALID', `${fatal.key}: refused by the production profile: ${fatal.why}`);
  return findings;
}
