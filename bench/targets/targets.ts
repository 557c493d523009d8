// The brokers a benchmark runs against, each in its own process so its CPU and memory are
// measured alone: raw Aedes, Mosquitto (Debian's package, installed if missing), the gateway.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromRoot } from '../../lib/paths.ts';
import type { Logger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { aptInstall } from '../../stack/tools.ts';
import type { Endpoint } from '../loadgen/protocol.ts';

export interface Target {
  name: string;
  endpoint: Endpoint;
  pid: number;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export async function startAedesRaw(): Promise<Target> {
  const child = fork(fromRoot('bench', 'targets', 'aedes-raw-server.ts'), ['0'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`aedes baseline exited (${code})`)));
  });
  return { name: 'aedes (raw)', endpoint: { host: '127.0.0.1', port }, pid: child.pid!, stop: () => stopChild(child) };
}

async function waitPort(port: number, child: ChildProcess): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode})`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error('mosquitto did not listen');
}

export async function startMosquitto(log: Logger): Promise<Target> {
  const bin = await aptInstall('mosquitto', 'mosquitto', log);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'itrade-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  // Same limits as the gateway where they matter: no queue cap that would drop, no persistence.
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port, child);
  return { name: 'mosquitto', endpoint: { host: '127.0.0.1', port }, pid: child.pid!, stop: () => stopChild(child) };
}
