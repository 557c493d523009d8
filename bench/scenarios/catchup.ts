// A persistent buyer (clean session false, QoS 1) away while its sensor's device publishes
// --catchup-entries (100,000) sealed entries through the gateway; then it comes back while the
// device goes on publishing live at the paper's rate. Measured: how many of the missed entries
// arrive, entries per second while catching up, and the time until it is live again (the first
// entry published after its return, which by the order per sensor comes after the whole backlog).
import { hrtime } from 'node:process';
import { makeCodec } from '../loadgen/codecs.ts';
import type { PayloadCodec as Codec } from '../loadgen/codec.ts';
import { sealed } from '../fleet.ts';
import { LiteClient } from '../mqtt-lite.ts';
import { benchEnv, benchFleet } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

// Sequence numbers of this scenario start here, far above any other run's, so entries of earlier
// scenarios the buyer may still be owed are told apart.
const SEQ_BASE = 2_000_000_000;
const WINDOW = 1000; // backlog publishes unacknowledged at once
const STALL_MS = 30_000; // no backlog entry for this long: what is missing is not coming

interface Outcome {
  backlog: number;
  older: number;
  duplicates: number;
  /** entries published after the return that arrived (before the backlog was complete too) */
  live: number;
  doneMs?: number; // since the reconnect: the last missed entry
  lastBacklogMs: number;
  liveMs?: number; // the first live entry after the backlog
  liveLatencyMs?: number;
}

function publishBacklog(dev: LiteClient, topic: string, n: number, codec: Codec, device: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let sent = 0;
    let acked = 0;
    dev.once('close', () => reject(new Error(`the gateway closed the device after ${acked} of ${n} entries`)));
    const pump = () => {
      for (; sent < n && sent - acked < WINDOW; sent++)
        dev.publish(topic, codec.encode({ schedNs: hrtime.bigint(), device, seq: SEQ_BASE + sent }), 1, onAck);
    };
    const onAck = () => (++acked === n ? resolve(performance.now() - t0) : pump());
    pump();
  });
}

function receive(b: LiteClient, codec: Codec, n: number, t0: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const seen = new Set<number>();
    const o: Outcome = { backlog: 0, older: 0, duplicates: 0, live: 0, lastBacklogMs: 0 };
    let lastAny = performance.now();
    const finish = () => (clearInterval(stall), resolve(o));
    const stall = setInterval(() => {
      const now = performance.now();
      if (now - t0 - o.lastBacklogMs > STALL_MS || now - lastAny > STALL_MS) finish();
    }, 1000);
    b.on('message', (topic: string, payload: Buffer) => {
      const now = performance.now();
      lastAny = now;
      const s = codec.decode(topic, payload);
      if (s.seq < SEQ_BASE) return void o.older++;
      if (s.seq >= SEQ_BASE + n) {
        o.live++;
        if (o.doneMs === undefined) return;
        o.liveMs = now - t0;
        o.liveLatencyMs = Number(hrtime.bigint() - s.schedNs) / 1e6;
        return finish();
      }
      if (seen.has(s.seq)) return void o.duplicates++;
      seen.add(s.seq);
      o.backlog = seen.size;
      o.lastBacklogMs = now - t0;
      if (seen.size === n) o.doneMs = o.lastBacklogMs;
    });
  });
}

export async function catchup(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const fleet = await benchFleet(ctx);
  const gw = env.gateway!;
  const n = ctx.opts.catchupEntries;
  const buyer = fleet.buyers[0]!;
  const device = fleet.devices[fleet.buyerDevice[0]!]!;
  const codec = makeCodec(sealed(fleet));
  const who = { ...gw.mqtt, clientId: `${buyer.clientId}:catchup`, username: buyer.username, password: buyer.password };
  const first = await LiteClient.connect({ ...who, clean: false });
  await first.subscribe([{ topic: device.topic, qos: 1 }]);
  await first.end();

  ctx.say(`catchup: a persistent buyer is away while its device publishes ${n} entries through the gateway ...`);
  const dev = await LiteClient.connect({ ...gw.mqtt, ...device });
  const fillMs = await publishBacklog(dev, device.topic, n, codec, device.index);
  ctx.say(`  published and acknowledged in ${(fillMs / 1000).toFixed(1)} s; the buyer comes back, live data goes on`);
  let live = 0;
  const timer = setInterval(() => {
    const seq = SEQ_BASE + n + live++;
    dev.publish(device.topic, codec.encode({ schedNs: hrtime.bigint(), device: device.index, seq }), 1);
  }, 1000 / ctx.opts.rate);
  const t0 = performance.now();
  const back = await LiteClient.connect({ ...who, clean: false });
  const sessionPresent = back.sessionPresent;
  const outcome = receive(back, codec, n, t0);
  if (!sessionPresent) await back.subscribe([{ topic: device.topic, qos: 1 }]);
  const o = await outcome;
  clearInterval(timer);
  back.destroy();
  await dev.end();
  report(ctx, n, fillMs, sessionPresent, o);
}

function report(ctx: ScenarioContext, n: number, fillMs: number, sessionPresent: boolean, o: Outcome): void {
  const rate = o.lastBacklogMs > 0 ? (o.backlog / o.lastBacklogMs) * 1000 : 0;
  const live = o.liveMs === undefined ? 'never' : `${(o.liveMs / 1000).toFixed(2)} s`;
  ctx.say(
    `  session present ${sessionPresent}; ${o.backlog}/${n} missed entries delivered at ${rate.toFixed(0)} ` +
      `entries/s; live again after ${live} (${o.live} live entries arrived); ${o.duplicates} duplicates, ` +
      `${o.older} older entries first`,
  );
  ctx.result.figures['catch-up of a persistent buyer'] = {
    'entries missed while away': n,
    'backlog published through the gateway, msg/s': (n / fillMs) * 1000,
    'session present on return': String(sessionPresent),
    'missed entries delivered': o.backlog,
    'catch-up, entries per second': rate,
    'time until the whole backlog arrived, s': o.doneMs === undefined ? 'never' : o.doneMs / 1000,
    'time until live again, s': o.liveMs === undefined ? 'never' : o.liveMs / 1000,
    'latency of the first live entry, ms': o.liveLatencyMs ?? 'n/a',
    'live entries that arrived': o.live,
    duplicates: o.duplicates,
    'entries of earlier runs delivered first': o.older,
  };
  ctx.result.goals.push({
    goal: 'a persistent buyer back after an absence gets every entry published meanwhile, then live data',
    measured: `${o.backlog}/${n} missed entries, live again after ${live}`,
    met: o.backlog === n && o.liveMs !== undefined,
  });
}
