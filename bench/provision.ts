// The gateway's fleet for a benchmark, made through the real paths (firmware-sim/provision.ts:
// principals with RSA keys on chain, sensors registered and activated, tokens from the gateway's
// login and activation endpoints, subscriptions paid on chain), and each buyer's sensor key got
// through the real key exchange (seller key agents, RSA-wrapped keys). The device seals with the
// seller's key; the bench fails if the buyer's unwrapped key differs.
import { sensorTopic } from '../protocol/topics.ts';
import { BuyerKeyClient, KeyAgent, KeyringFolder, loadPrincipalKey } from '../sdk/node.ts';
import { toHex } from '../protocol/bytes.ts';
import { limiter } from '../lib/limiter.ts';
import { provision, type Provisioned } from '../firmware-sim/provision.ts';
import { join } from 'node:path';
import { BENCH_DATA, type BenchEnv } from './env.ts';
import type { Fleet } from './fleet.ts';

export interface GatewayFleet extends Fleet {
  provisioned: Provisioned;
  keyExchangeMs: number;
}

export async function gatewayFleet(
  env: BenchEnv,
  n: number,
  say: (s: string) => void,
  dataEntries = 50_000_000,
): Promise<GatewayFleet> {
  const gw = env.gateway!;
  const url = `mqtt://${gw.mqtt.host}:${gw.mqtt.port}`;
  let last = 0;
  const p = await provision({
    rpcUrl: env.ep.rpcUrl,
    marketplace: env.marketplace,
    apiUrl: gw.apiUrl,
    dataDir: join(BENCH_DATA, `fleet-${n}`),
    sellers: Math.max(1, Math.ceil(n / 10)),
    sensorsPerSeller: 0,
    sensors: n,
    buyers: n,
    dataEntries,
    onProgress: (x) => {
      if (Date.now() - last > 2000 || x.done === x.total)
        ((last = Date.now()), say(`  provisioning ${x.step}: ${x.done}/${x.total}`));
    },
  });
  say(`  provisioned ${p.sensors.length} sensors and ${p.buyers.length} buyers in ${(p.ms / 1000).toFixed(1)} s`);

  const t0 = Date.now();
  const agents = await Promise.all(
    p.sellers.map(async (s) =>
      KeyAgent.start(
        {
          seller: s.principal,
          keyrings: new KeyringFolder(s.keysDir),
          principalKey: await loadPrincipalKey(s.rsaKeyFile),
        },
        { url, password: s.token, clientId: `${s.principal}:agent` },
      ),
    ),
  );
  const index = new Map(p.sensors.map((s, i) => [s.sensor, i]));
  const keys: Fleet['keys'] = {};
  p.sensors.forEach((s, i) => {
    const k = new KeyringFolder(s.keysDir).get(s.sensor).current();
    keys[i] = { keyHex: toHex(k.key), keyId: k.keyId, sensor: s.sensor };
  });
  const limit = limiter(16);
  try {
    await Promise.all(
      p.buyers.map((b) =>
        limit(async () => {
          const client = await BuyerKeyClient.connect(
            {
              buyer: b.principal,
              principalKey: await loadPrincipalKey(b.rsaKeyFile),
              keyrings: new KeyringFolder(b.keysDir),
            },
            { url, password: b.token, clientId: `${b.principal}:keys` },
          );
          try {
            for (const s of b.sensors) {
              const got = await client.request(s, 'current');
              const want = keys[index.get(s)!]!;
              if (toHex(got.key) !== want.keyHex || got.keyId !== want.keyId)
                throw new Error(`buyer ${b.principal} got another key for ${s}`);
            }
          } finally {
            await client.close();
          }
        }),
      ),
    );
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
  const keyExchangeMs = Date.now() - t0;
  say(
    `  ${p.buyers.length} buyers got their sensor keys through the key exchange in ` +
      `${(keyExchangeMs / 1000).toFixed(1)} s`,
  );

  const devices = p.sensors.map((s, i) => ({
    index: i,
    clientId: s.sensor,
    username: s.sensor,
    password: s.token,
    topic: sensorTopic(s.sensor),
  }));
  const buyers = p.buyers.map((b) => ({
    clientId: b.principal,
    username: b.principal,
    password: b.token,
    topics: b.sensors.map(sensorTopic),
  }));
  const buyerDevice = p.buyers.map((b) => index.get(b.sensors[0]!)!);
  return { devices, buyers, buyerDevice, keys, provisioned: p, keyExchangeMs };
}
