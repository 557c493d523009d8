// A second, private redis-server for the TLS and ACL tests: TLS only (no plain port), the test
// CA's server certificate, client certificates optional, the default user switched off and one
// ACL user `itrade` with a password. Debian's redis-server is built with TLS.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../stack/ports.ts';
import type { TestPki } from './pki.ts';

export const REDIS_USER = { username: 'itrade', password: 'redis-acl-secret-4' };

export interface SecureRedis {
  /** rediss:// URL without credentials. */
  url: string;
  stop(): Promise<void>;
}

export async function startSecureRedis(pki: TestPki): Promise<SecureRedis> {
  const port = await freePort();
  const server = pki.server('redis');
  const conf = join(pki.dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      'port 0',
      `tls-port ${port}`,
      'bind 127.0.0.1',
      `tls-cert-file ${server.cert}`,
      `tls-key-file ${server.key}`,
      `tls-ca-cert-file ${pki.ca.cert}`,
      'tls-auth-clients optional',
      `dir ${pki.dir}`,
      'save ""',
      'appendonly no',
      'user default off',
      `user ${REDIS_USER.username} on >${REDIS_USER.password} ~* &* +@all`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis did not start in 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', () => {
      if (!out.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', () => reject(new Error(`redis exited: ${out}`)));
  });
  return { url: `rediss://127.0.0.1:${port}`, stop: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
