// A fresh marketplace and a real gateway on the test stack, and participants made through the
// simulator's own market operations (participant/market-ops.ts): the same paths a user takes
// (principal with a real RSA key on chain, sensor activation over HTTP, subscriptions paid on chain).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyAgent, KeyringFolder, type BuiltInSensorType } from '../../sdk/node.ts';
import {
  closeMarket,
  login,
  openMarket,
  openProfile,
  registerPrincipal,
  registerSensor,
  sensorToken,
  setSensorActive,
  subscribeTo,
  type MarketContext,
} from '../../participant/market-ops.ts';
import type { Profile } from '../../participant/profile.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { testGateway } from './gateway.ts';
import { Market } from './market.ts';
import { services, unique } from './services.ts';

export interface SimMarket {
  market: Market;
  gw: GatewayHandle;
  ctx: MarketContext;
  dir: string;
  mqttUrl: string;
  apiUrl: string;
  keyPrefix: string;
  topicPrefix: string;
  close(): Promise<void>;
}

export async function startMarket(): Promise<SimMarket> {
  const svc = services();
  const market = await Market.deploy(svc.rpcUrl);
  const keyPrefix = `${unique('e2e')}:`;
  const topicPrefix = `${unique('e2e')}.`;
  const gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, keyPrefix, topicPrefix });
  const apiUrl = `http://127.0.0.1:${gw.httpPort}`;
  const ctx = await openMarket({ rpcUrl: svc.rpcUrl, marketplace: market.address, apiUrl });
  const dir = mkdtempSync(join(tmpdir(), 'itrade-e2e-'));
  return {
    market,
    gw,
    ctx,
    dir,
    apiUrl,
    keyPrefix,
    topicPrefix,
    mqttUrl: `mqtt://127.0.0.1:${gw.mqtt.tcp}`,
    async close() {
      closeMarket(ctx);
      await gw.close();
      market.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SellerSetup {
  profile: Profile;
  principal: string;
  sensors: { sensor: string; sensorType: BuiltInSensorType; token: string }[];
  keys: KeyringFolder;
}

/** A seller with one active sensor per type given, each with its device token. */
export async function seller(m: SimMarket, name: string, types: BuiltInSensorType[]): Promise<SellerSetup> {
  const profile = openProfile(m.ctx, join(m.dir, name), name);
  const { principal } = await registerPrincipal(m.ctx, profile, {
    name,
    url: 'https://example.org',
    email: `${name}@example.org`,
  });
  const sensors = [];
  for (const [i, sensorType] of types.entries()) {
    const r = await registerSensor(m.ctx, profile, {
      sensorType,
      latitudeE6: 47_370_000 + i * 1000,
      longitudeE6: 8_540_000,
      pricePerDataEntry: 1000n,
    });
    await setSensorActive(m.ctx, profile, r.sensor, true);
    sensors.push({ sensor: r.sensor, sensorType, token: await sensorToken(m.ctx, profile, r.sensor) });
  }
  return { profile, principal, sensors, keys: profile.sellerKeys() };
}

/** A buyer principal holding these subscriptions ([sensor, entries]). */
export async function buyer(m: SimMarket, name: string, subs: [string, number][]): Promise<Profile> {
  const p = openProfile(m.ctx, join(m.dir, name), name);
  await registerPrincipal(m.ctx, p, { name, url: 'https://example.org', email: `${name}@example.org` });
  for (const [sensor, entries] of subs) await subscribeTo(m.ctx, p, sensor, entries);
  return p;
}

/** The seller's key agent, connected to the gateway with its principal JWT. */
export async function agent(m: SimMarket, s: SellerSetup): Promise<KeyAgent> {
  return KeyAgent.start(
    { seller: s.principal, keyrings: new KeyringFolder(s.keys.dir), principalKey: await s.profile.principalKey() },
    { url: m.mqttUrl, password: await login(m.ctx, s.profile), clientId: `${s.principal}:agent` },
  );
}
