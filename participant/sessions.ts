// The long-running parts of the market commands, one participant at a time: `itrade stream`
// (live, decrypted), `itrade replay` (history, decrypted) and `itrade agent` (the seller's key
// agent). Each reads the participant's profile and talks to the real gateway.
import { attachSensor } from '../contracts/client.ts';
import { oneLine } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { SimBuyer, type BuyerReading } from '../firmware-sim/buyer.ts';
import { KeyringStore } from '../sdk/crypto/keyring.ts';
import type { Endpoints } from './endpoints.ts';
import { KeyAgent } from '../sdk/key-agent.ts';
import { login, sellerPublicKey, type MarketContext } from './market-ops.ts';
import { refreshPasswordOnClose } from '../sdk/mqtt-connect.ts';
import type { Profile } from './profile.ts';
import type { ReplayOptions, ReplayOutcome } from '../sdk/replay-client.ts';

export interface SessionIo {
  ctx: MarketContext;
  endpoints: Endpoints;
  profile: Profile;
  /** Decrypted readings, one JSON line each. */
  out: (line: string) => void;
  /** Progress and per-entry problems. */
  err: (line: string) => void;
  signal?: AbortSignal;
  log?: Logger;
}

export function readingJson(r: BuyerReading): string {
  return JSON.stringify({ sensor: r.sensor, keyId: r.keyId, ...r.reading, latencyMs: r.latencyMs, source: r.source });
}

async function connectBuyer(io: SessionIo, sensors: string[], onReading: (r: BuyerReading) => void): Promise<SimBuyer> {
  const p = io.profile;
  const types = await Promise.all(
    sensors.map(async (s) => [s.toLowerCase(), Number(await attachSensor(s, io.ctx.provider).sensorType())] as const),
  );
  return SimBuyer.connect({
    url: io.endpoints.mqttUrl,
    buyer: p.principal(),
    token: await login(io.ctx, p),
    rsaKeyFile: p.principalKeyFile,
    keysDir: p.buyerKeys().dir,
    sensors: new Map(types),
    sellerPublicKey: (s) => sellerPublicKey(io.ctx, s),
    onReading,
    onFailure: (f) => io.err(`entry of ${f.sensor} not decrypted: ${oneLine(f.error)}`),
    refreshToken: () => login(io.ctx, p),
    ...(io.log ? { log: io.log } : {}),
  });
}

/** Resolves at the first of: `ms` passed, the signal aborted, `done` settled. */
function until(io: SessionIo, ms: number | undefined, done: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      io.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(finish, ms);
    io.signal?.addEventListener('abort', finish, { once: true });
    if (io.signal?.aborted) finish();
    void done.then(finish);
  });
}

/** Live readings of the sensors until `count` arrived, `durationSec` passed or the signal aborts. */
export async function streamLive(
  io: SessionIo,
  sensors: string[],
  o: { count?: number; durationSec?: number },
): Promise<{ readings: number; failed: number }> {
  let readings = 0;
  let reached: () => void = () => undefined;
  const enough = new Promise<void>((r) => (reached = r));
  const buyer = await connectBuyer(io, sensors, (r) => {
    io.out(readingJson(r));
    if (++readings === o.count) reached();
  });
  try {
    for (const s of sensors) {
      io.err(`fetching the keys of ${s.toLowerCase()} ...`);
      await buyer.fetchKeys(s);
    }
    await buyer.subscribeLive();
    io.err(`streaming ${sensors.length} sensor(s); Ctrl-C stops`);
    await until(io, o.durationSec === undefined ? undefined : o.durationSec * 1000, enough);
  } finally {
    await buyer.close();
  }
  const failed = [...buyer.checks.live.values()].reduce((n, c) => n + c.failures, 0);
  return { readings, failed };
}

/** One sensor's history, decrypted, until the gateway ends the replay. */
export async function replaySensor(
  io: SessionIo,
  sensor: string,
  o: ReplayOptions,
): Promise<ReplayOutcome & { failed: number }> {
  const buyer = await connectBuyer(io, [sensor], (r) => io.out(readingJson(r)));
  try {
    io.err(`fetching the keys of ${sensor.toLowerCase()} ...`);
    await buyer.fetchKeys(sensor);
    const outcome = await buyer.replay(sensor, o);
    await buyer.settled();
    return { ...outcome, failed: buyer.checks.replay.get(sensor.toLowerCase())!.failures };
  } finally {
    await buyer.close();
  }
}

/** The seller's key agent for every sensor in the profile's keyring folder, until the signal aborts. */
export async function serveKeys(io: SessionIo): Promise<void> {
  const p = io.profile;
  const principal = p.principal();
  const keyrings = new KeyringStore(p.sellerKeys().dir);
  const agent = await KeyAgent.start(
    { seller: principal, keyrings, principalKey: p.principalKey(), ...(io.log ? { log: io.log } : {}) },
    { url: io.endpoints.mqttUrl, password: await login(io.ctx, p), clientId: `${principal}:agent` },
  );
  refreshPasswordOnClose(agent.client, () => login(io.ctx, p), io.log);
  io.err(
    `key agent of ${principal} serving ${keyrings.sensors().length} sensor(s) on ${io.endpoints.mqttUrl}; Ctrl-C stops`,
  );
  try {
    await until(io, undefined, new Promise(() => undefined));
  } finally {
    await agent.stop();
  }
}
