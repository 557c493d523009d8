// Local Redis: Debian's redis-server on loopback, data in the stack folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, which } from '../tools.ts';
import type { LocalService } from './types.ts';

export const redisService: LocalService = {
  name: 'redis',
  marker: () => 'redis-server',
  wantedPorts: (cfg) => ({ port: cfg.stack.redis.port }),
  graceMs: 10_000,

  async install(ctx) {
    await aptInstall('redis-server', 'redis-server', ctx.log);
  },

  async prepare(ctx, ports) {
    const data = join(ctx.dir, 'data');
    mkdirSync(data, { recursive: true });
    const args = [
      '--port',
      String(ports.port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--daemonize',
      'no',
      '--dir',
      data,
      '--save',
      '',
      '--appendonly',
      ctx.cfg.stack.redis.appendOnly ? 'yes' : 'no',
      // Metering counters and sessions must never be evicted to make room.
      '--maxmemory-policy',
      'noeviction',
    ];
    return { cmd: which('redis-server')!, args };
  },

  endpoint: (ports) => `redis://127.0.0.1:${ports.port}`,
};
