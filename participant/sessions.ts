// The long-running parts of the market commands, one participant at a time: `itrade stream`
// (live, decrypted), `itrade replay` (history, decrypted) and `itrade agent` (the seller's key
// agent). Each reads the participant's profile and talks to the real gateway.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { attachSensor } from '../contracts/client.ts';
import { oneLine } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import {
  Buyer,
  KeyAgent,
  KeyringFolder,
  refreshPasswordOnClose,
  type BuyerReading,
  type PrincipalKey,
  type ReplayOptions,
  type ReplayOutcome,
} from '../sdk/node.ts';
import type { Endpoints } from './endpoints.ts';
import { login, sellerPublicKey, type MarketContext } from './market-ops.ts';
import type { Profile } from './profile.ts';

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

/** One decrypted reading as the JSON line `itrade stream` and `itrade replay` print. */
export function readingJson(r: BuyerReading, now = Date.now()): string {
  const latencyMs = now - r.reading.ts;
  return JSON.stringify({ sensor: r.sensor, keyId: r.keyId, ...r.reading, latencyMs, source: r.source });
}

/** A buyer connection (the SDK's Buyer) of the profile; counts entries that did not open. */
async function connectBuyer(io: SessionIo, onReading: (r: BuyerReading) => void) {
  const p = io.profile;
  const failed = { count: 0 };
  const buyer = await Buyer.connect({
    url: io.endpoints.mqttUrl,
    buyer: p.principal(),
    token: await login(io.ctx, p),
    principalKey: await p.principalKey(),
    keyrings: p.buyerKeys(),
    sellerPublicKey: (s) => sellerPublicKey(io.ctx, s),
    onReading,
    onFailure: (f) => {
      failed.count++;
      io.err(`entry of ${f.sensor} not decrypted: ${oneLine(f.error)}`);
    },
    refreshToken: () => login(io.ctx, p),
    ...(io.log ? { log: io.log } : {}),
  });
  return { buyer, failed };
}

/** The sensor exists on chain (a typo gets the chain's answer before any key request). */
async function checkSensors(io: SessionIo, sensors: string[]): Promise<void> {
  await Promise.all(sensors.map((s) => attachSensor(s, io.ctx.provider).sensorType()));
}

/** Resolves at the first of: `ms` passed, the signal aborted, `done` settled. */
function until(io: { signal?: AbortSignal }, ms: number | undefined, done: Promise<void>): Promise<void> {
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
  o: { count?: number; durationSec?: number; from?: 'start' | 'now' },
): Promise<{ readings: number; failed: number }> {
  let readings = 0;
  let reached: () => void = () => undefined;
  const enough = new Promise<void>((r) => (reached = r));
  await checkSensors(io, sensors);
  const { buyer, failed } = await connectBuyer(io, (r) => {
    // History comes in bursts from the log: what arrives after the count, before the close, is not printed.
    if (o.count !== undefined && readings >= o.count) return;
    io.out(readingJson(r));
    if (++readings === o.count) reached();
  });
  try {
    for (const s of sensors) {
      io.err(`fetching the keys of ${s.toLowerCase()} ...`);
      await buyer.fetchKeys(s);
    }
    await buyer.subscribe(sensors, o.from ? { from: o.from } : {});
    io.err(`streaming ${sensors.length} sensor(s); Ctrl-C stops`);
    await until(io, o.durationSec === undefined ? undefined : o.durationSec * 1000, enough);
  } finally {
    await buyer.close();
  }
  return { readings, failed: failed.count };
}

/** One sensor's history, decrypted, until the gateway ends the replay. */
export async function replaySensor(
  io: SessionIo,
  sensor: string,
  o: ReplayOptions,
): Promise<ReplayOutcome & { failed: number }> {
  await checkSensors(io, [sensor]);
  const { buyer, failed } = await connectBuyer(io, (r) => io.out(readingJson(r)));
  try {
    io.err(`fetching the keys of ${sensor.toLowerCase()} ...`);
    await buyer.fetchKeys(sensor);
    const outcome = await buyer.replay(sensor, o);
    await buyer.settled();
    return { ...outcome, failed: failed.count };
  } finally {
    await buyer.close();
  }
}

/** What `itrade agent` serves from: a profile, or key files alone (`--key-file`, `--keys-dir`, `--seller`). */
export interface AgentSource {
  seller: string;
  keysDir: string;
  principalKey: PrincipalKey;
  /** The first principal JWT, and a fresh one when the session closes (none: the token's hour is the limit). */
  token: () => Promise<string>;
  refresh?: () => Promise<string>;
}

/** The line `itrade agent` prints on stdout once it is subscribed to its requests (docs/key-exchange.md). */
export const AGENT_READY_LINE = 'key agent ready';

function writeReadyFile(path: string, what: object): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(what)}\n`);
  renameSync(tmp, path); // whoever waits for the file never reads half of it
}

/**
 * The seller's key agent for every sensor in the keys folder, until the signal aborts. Once the
 * broker acknowledged its subscription to sellers/<seller>/keys/requests it prints
 * AGENT_READY_LINE on `out` and writes `readyFile` (removed again when it stops).
 */
export async function serveKeys(
  io: Omit<SessionIo, 'ctx' | 'profile' | 'endpoints'> & { mqttUrl: string },
  src: AgentSource,
  readyFile?: string,
): Promise<void> {
  const seller = src.seller.toLowerCase();
  const keyrings = new KeyringFolder(src.keysDir);
  const agent = await KeyAgent.start(
    { seller, keyrings, principalKey: src.principalKey, ...(io.log ? { log: io.log } : {}) },
    { url: io.mqttUrl, password: await src.token(), clientId: `${seller}:agent` },
  );
  if (src.refresh) refreshPasswordOnClose(agent.client, src.refresh, io.log);
  io.err(`key agent of ${seller} serving ${keyrings.sensors().length} sensor(s) on ${io.mqttUrl}; Ctrl-C stops`);
  if (readyFile) writeReadyFile(readyFile, { seller, sensors: keyrings.sensors(), pid: process.pid });
  io.out(AGENT_READY_LINE);
  try {
    await until(io, undefined, new Promise(() => undefined));
  } finally {
    await agent.stop();
    if (readyFile) rmSync(readyFile, { force: true });
  }
}

/** The agent source of a profile: its principal, key files and logins. */
export async function profileAgentSource(ctx: MarketContext, p: Profile): Promise<AgentSource> {
  return {
    seller: p.principal(),
    keysDir: p.sellerKeys().dir,
    principalKey: await p.principalKey(),
    token: () => login(ctx, p),
    refresh: () => login(ctx, p),
  };
}
