// How many idle authenticated device connections one gateway process holds, and what each costs
// in memory: K sensors provisioned on chain (one connection per sensor: a device's client id is
// its sensor address), connected in batches from a separate process while the gateway's RSS is
// sampled between batches.
import { fork } from 'node:child_process';
import { sensorTopic } from '../../protocol/topics.ts';
import { provision } from '../../firmware-sim/provision.ts';
import { fromRoot } from '../../lib/paths.ts';
import { sampleProc } from '../procstat.ts';
import { benchEnv } from './gateway-env.ts';
import { BENCH_DATA } from '../env.ts';
import { join } from 'node:path';
import type { ScenarioContext } from './index.ts';

const BATCH = 500;

export async function connections(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const gw = env.gateway!;
  const k = ctx.opts.connections;
  ctx.say(`connections: provisioning ${k} sensors (one device connection each) ...`);
  let last = 0;
  const p = await provision({
    rpcUrl: env.ep.rpcUrl,
    marketplace: env.marketplace,
    apiUrl: gw.apiUrl,
    dataDir: join(BENCH_DATA, `idle-${k}`),
    sellers: Math.max(1, Math.ceil(k / 200)),
    sensorsPerSeller: 0,
    sensors: k,
    buyers: 0,
    concurrency: 32,
    onProgress: (x) => {
      if (Date.now() - last > 5000) ((last = Date.now()), ctx.say(`  ${x.step}: ${x.done}/${x.total}`));
    },
  });
  ctx.say(`  provisioned in ${(p.ms / 1000).toFixed(0)} s`);
  const devices = p.sensors.map((s, i) => ({
    index: i,
    clientId: s.sensor,
    username: s.sensor,
    password: s.token,
    topic: sensorTopic(s.sensor),
  }));
  const child = fork(fromRoot('bench', 'loadgen', 'idle.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = gw.child.pid!;
  const rss0 = sampleProc(pid)?.rssBytes ?? 0;
  let open = 0;
  let connectMs = 0;
  let refused = '';
  await new Promise<void>((resolve, reject) => {
    child.on(
      'message',
      (m: { type: string; open: number; ms: number; refused: string[]; refusedCount: number; message?: string }) => {
        if (m.type === 'error') return reject(new Error(m.message));
        if (m.type === 'done') return resolve();
        open = m.open;
        connectMs += m.ms;
        if (m.refusedCount) refused = `${m.refusedCount} refused (${m.refused.join(', ')})`;
        ctx.say(
          `  ${open} open, gateway RSS ${((sampleProc(pid)?.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB, batch of ` +
            `${BATCH} in ${m.ms.toFixed(0)} ms`,
        );
        child.send({ type: 'next' });
      },
    );
    child.send({ endpoint: gw.mqtt, devices, batch: BATCH });
  });
  await new Promise((r) => setTimeout(r, 3000)); // let the heap settle
  const rss1 = sampleProc(pid)?.rssBytes ?? 0;
  child.send({ type: 'stop' });
  ctx.result.figures['idle device connections'] = {
    'connections held': open,
    'of asked': k,
    'gateway RSS before, MiB': rss0 / 2 ** 20,
    'gateway RSS with them, MiB': rss1 / 2 ** 20,
    'RSS per connection, KiB': open ? (rss1 - rss0) / open / 1024 : Number.NaN,
    'CONNECTs per second (JWT check + first chain check of each sensor)': connectMs
      ? (open / connectMs) * 1000
      : Number.NaN,
    refusals: refused || 'none',
    'provisioning, s': p.ms / 1000,
  };
}
