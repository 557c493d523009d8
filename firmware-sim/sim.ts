// `itrade sim` and the live demo: provision a market (provision.ts), start one key agent per
// seller, connect the buyers (keys first, then the live stream), start the devices, print
// progress (and in demo mode every decrypted reading) until the duration ends or the run is
// aborted, replay history, and judge the run (sim-report.ts). The run is a list of named steps.
import {
  KeyAgent,
  KeyringFolder,
  loadPrincipalKey,
  refreshPasswordOnClose,
  type BuiltInSensorType,
} from '../sdk/node.ts';
import { SimBuyer, type BuyerReading } from './buyer.ts';
import { SimDevice } from './device.ts';
import { limiter } from '../lib/limiter.ts';
import {
  closeMarket,
  login,
  openMarket,
  openProfile,
  sellerPublicKey,
  type MarketContext,
} from '../participant/market-ops.ts';
import { provision, type Provisioned, type ProvisionOptions } from './provision.ts';
import {
  Progress,
  readingLine,
  reportLines,
  totals,
  verify,
  type PairReplay,
  type SimTotals,
  type Verdict,
} from './sim-report.ts';
import type { Logger } from '../lib/log.ts';
import { oneLine } from '../protocol/errors.ts';

export interface SimOptions extends Omit<ProvisionOptions, 'sellers' | 'sensorsPerSeller' | 'sensors' | 'onProgress'> {
  mqttUrl: string;
  devices: number;
  /** Sellers the devices are spread over (default: one per 5 devices). */
  sellers?: number;
  /** Readings per second per device. */
  rateHz: number;
  /** Seconds of publishing; 0 runs until `signal` aborts. */
  durationSec: number;
  /** Replay each buyer's sensors from the start of this run: after the live phase, or `replayAtSec` into it. */
  replay?: boolean;
  replayAtSec?: number;
  /** Rotate every sensor key this often (seconds); devices seal with the new key id from then on. */
  rotateEverySec?: number;
  /** Print every decrypted live reading. */
  demo?: boolean;
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** Keep every seq a buyer received (tests). */
  keepSeqs?: boolean;
  out: (line: string) => void;
  log?: Logger;
}

export interface SimResult {
  provisioned: Provisioned;
  totals: SimTotals;
  verdict: Verdict;
  devices: Map<string, SimDevice>;
  buyers: SimBuyer[];
  replays: PairReplay[];
}

interface Run {
  o: SimOptions;
  ctx: MarketContext;
  p: Provisioned;
  agents: KeyAgent[];
  devices: Map<string, SimDevice>;
  buyers: SimBuyer[];
  replays: PairReplay[];
  startedAt: number;
  timers: NodeJS.Timeout[];
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

async function provisionStep(o: SimOptions): Promise<Provisioned> {
  const sellers = o.sellers ?? Math.max(1, Math.ceil(o.devices / 5));
  let last = 0;
  o.out(
    `provisioning ${sellers} seller(s) with ${o.devices} sensor(s) and ${o.buyers} buyer(s) on marketplace ` +
      `${o.marketplace} ...`,
  );
  const p = await provision({
    ...o,
    sellers,
    sensorsPerSeller: 0,
    sensors: o.devices,
    onProgress: (x) => {
      if (Date.now() - last < 1000 && x.done !== x.total) return;
      last = Date.now();
      o.out(`  ${x.step}: ${x.done}/${x.total}`);
    },
  });
  o.out(
    `provisioned in ${(p.ms / 1000).toFixed(1)} s (new: ${p.created.principals} principals, ` +
      `${p.created.sensors} sensors, ${p.created.subscriptions} subscriptions; data in ${p.dataDir})`,
  );
  return p;
}

async function startAgents(r: Run): Promise<void> {
  r.agents = await Promise.all(
    r.p.sellers.map(async (s) => {
      const agent = await KeyAgent.start(
        {
          seller: s.principal,
          keyrings: new KeyringFolder(s.keysDir),
          principalKey: await loadPrincipalKey(s.rsaKeyFile),
          ...(r.o.log ? { log: r.o.log } : {}),
        },
        { url: r.o.mqttUrl, password: s.token, clientId: `${s.principal}:agent` },
      );
      const profile = openProfile(r.ctx, s.dir, s.name);
      refreshPasswordOnClose(agent.client, () => login(r.ctx, profile), r.o.log);
      return agent;
    }),
  );
}

async function connectBuyers(r: Run): Promise<void> {
  const types = new Map(r.p.sensors.map((s) => [s.sensor, s.sensorType]));
  const sellerKeys = new Map<string, Promise<string | undefined>>();
  const sellerKey = (s: string) =>
    sellerKeys.get(s) ?? (sellerKeys.set(s, sellerPublicKey(r.ctx, s)), sellerKeys.get(s)!);
  const names = new Map(r.p.buyers.map((b) => [b.principal, b.name]));
  const onReading = r.o.demo
    ? (x: BuyerReading) => x.source === 'live' && r.o.out(readingLine(x, names.get(x.buyer) ?? x.buyer))
    : undefined;
  const limit = limiter(16);
  r.buyers = await Promise.all(
    r.p.buyers.map((b) =>
      limit(async () => {
        const profile = openProfile(r.ctx, b.dir, b.name);
        const buyer = await SimBuyer.connect({
          url: r.o.mqttUrl,
          buyer: b.principal,
          token: b.token,
          rsaKeyFile: b.rsaKeyFile,
          keysDir: b.keysDir,
          sensors: new Map(b.sensors.map((s) => [s, types.get(s)])),
          sellerPublicKey: sellerKey,
          keepSeqs: r.o.keepSeqs,
          refreshToken: () => login(r.ctx, profile),
          ...(onReading ? { onReading } : {}),
          ...(r.o.log ? { log: r.o.log } : {}),
        });
        // Keys first (docs/key-exchange.md: a buyer that wants history fetches its keys first), then live.
        for (const s of b.sensors) await buyer.fetchKeys(s);
        await buyer.subscribeLive();
        return buyer;
      }),
    ),
  );
}

async function startDevices(r: Run): Promise<void> {
  const limit = limiter(16);
  const list = await Promise.all(
    r.p.sensors.map((s, i) =>
      limit(() =>
        SimDevice.connect({
          url: r.o.mqttUrl,
          sensor: s.sensor,
          token: s.token,
          keysDir: s.keysDir,
          sensorType: s.sensorType as BuiltInSensorType,
          rateHz: r.o.rateHz,
          seed: i + 1,
          ...(r.o.log ? { log: r.o.log } : {}),
        }),
      ),
    ),
  );
  r.startedAt = Date.now();
  for (const d of list) {
    r.devices.set(d.client.options.clientId!, d);
    d.start();
  }
}

function rotateAll(r: Run): void {
  for (const s of r.p.sensors) new KeyringFolder(s.keysDir).rotate(s.sensor);
  r.o.out(`rotated the keys of ${r.p.sensors.length} sensor(s): devices now seal with key ${currentKeyId(r)}`);
}

function currentKeyId(r: Run): number {
  const s = r.p.sensors[0];
  return s ? new KeyringFolder(s.keysDir).get(s.sensor).current().keyId : 0;
}

async function replayAll(r: Run): Promise<void> {
  await Promise.all(
    r.buyers.flatMap((b) =>
      [...b.checks.replay.keys()].map(async (sensor) => {
        const pair: PairReplay = { buyer: b.buyer, sensor };
        r.replays.push(pair);
        try {
          pair.outcome = await b.replay(sensor, { from: { timestamp: r.startedAt - 1000 } });
        } catch (err) {
          pair.error = oneLine(err);
        }
      }),
    ),
  );
  const names = new Map(r.p.buyers.map((b) => [b.principal, b.name]));
  for (const x of r.replays) {
    const c = r.buyers.find((b) => b.buyer === x.buyer)?.checks.replay.get(x.sensor);
    const what = x.outcome
      ? `${x.outcome.entries} entries (offsets ${x.outcome.from}..${x.outcome.end}, ${x.outcome.reason}), ` +
        `${c?.failures ? `${c.failures} NOT decrypted` : 'all decrypted'}`
      : `failed: ${x.error}`;
    r.o.out(
      `replay: ${names.get(x.buyer) ?? x.buyer} read the history of ` +
        `${x.sensor.slice(0, 6)}…${x.sensor.slice(-4)} since this run started: ${what}`,
    );
  }
}

async function runPhase(r: Run): Promise<void> {
  const o = r.o;
  const progress = new Progress(r.startedAt);
  const print = () =>
    o.out(progress.line(totals([...r.devices.values()], r.buyers), r.devices.size, r.buyers.length, currentKeyId(r)));
  r.timers.push(setInterval(print, o.progressEveryMs ?? 1000));
  if (o.rotateEverySec) r.timers.push(setInterval(() => rotateAll(r), o.rotateEverySec * 1000));
  const midReplay =
    o.replay && o.replayAtSec !== undefined
      ? wait(o.replayAtSec * 1000, o.signal).then(() => (o.signal?.aborted ? undefined : replayAll(r)))
      : undefined;
  await wait(o.durationSec > 0 ? o.durationSec * 1000 : 2 ** 31 - 1, o.signal);
  for (const t of r.timers.splice(0)) clearInterval(t);
  await midReplay;
  await Promise.all([...r.devices.values()].map((d) => d.stop()));
  await drain(r);
  print();
}

/** Waits until every buyer has what the devices had acknowledged (or ran out of paid entries). */
async function drain(r: Run, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const behind = () =>
    r.buyers.some((b) =>
      [...b.checks.live].some(
        ([s, c]) =>
          !b.exhausted(s) &&
          c.totals.decrypted - c.totals.duplicates + c.failures < (r.devices.get(s)?.stats.acked ?? 0),
      ),
    );
  while (behind() && Date.now() < end) await wait(100);
  await Promise.all(r.buyers.map((b) => b.settled()));
}

async function shutdown(r: Run): Promise<void> {
  for (const t of r.timers.splice(0)) clearInterval(t);
  await Promise.allSettled([...r.devices.values()].map((d) => d.stop(1000)));
  await Promise.allSettled(r.buyers.map((b) => b.close()));
  await Promise.allSettled(r.agents.map((a) => a.stop()));
  closeMarket(r.ctx);
}

/** Runs the whole simulation; see the file comment. Never leaves a client connected. */
export async function runSim(o: SimOptions): Promise<SimResult> {
  const p = await provisionStep(o);
  const r: Run = {
    o,
    ctx: await openMarket(o),
    p,
    agents: [],
    devices: new Map(),
    buyers: [],
    replays: [],
    startedAt: Date.now(),
    timers: [],
  };
  try {
    const steps: [string, (r: Run) => Promise<void>][] = [
      [`starting ${p.sellers.length} key agent(s)`, startAgents],
      [`connecting ${p.buyers.length} buyer(s): keys, then the live stream`, connectBuyers],
      [
        `starting ${p.sensors.length} device(s) at ${o.rateHz}/s ` +
          `each${o.durationSec ? ` for ${o.durationSec} s` : ' (Ctrl-C stops)'}`,
        startDevices,
      ],
      ['running', runPhase],
    ];
    if (o.replay && o.replayAtSec === undefined) steps.push(['replaying this run from history', replayAll]);
    for (const [what, step] of steps) {
      if (o.signal?.aborted && step !== runPhase) break;
      o.out(`${what} ...`);
      await step(r);
    }
    const t = totals([...r.devices.values()], r.buyers);
    const verdict = verify(r.devices, r.buyers, r.replays);
    for (const line of reportLines(t, verdict, r.devices.size, r.buyers.length)) o.out(line);
    return { provisioned: p, totals: t, verdict, devices: r.devices, buyers: r.buyers, replays: r.replays };
  } finally {
    await shutdown(r);
  }
}
