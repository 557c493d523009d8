// The catalogue figure (issue 15): a filtered page of a 10,000-sensor catalogue through POST
// /graphql, from a gateway process with the index in Redis. The index is seeded directly through
// the index's own writes (RedisCatalogue, the same Lua the chain follower uses) rather than by
// 10,000 registrations on anvil: registering takes ~40,000 transactions and minutes, and what is
// measured is the query path, which reads the same keys either way. Sensors spread over the
// globe, 4 types, 3 statuses, 200 sellers; each query asks a page of 20 with a dozen fields.
import { Redis } from 'ioredis';
import { JsonRpcProvider } from 'ethers';
import { RedisCatalogue } from '../../catalogue/redis-store.ts';
import type { SensorRecord } from '../../interfaces/catalogue.ts';
import type { SensorStatus } from '../../interfaces/layers.ts';
import { summarize } from '../stats.ts';
import { benchEnv } from './gateway-env.ts';
import type { ScenarioContext } from './index.ts';

const SENSORS = 10_000;
const SELLERS = 200;
const ROUNDS = 300;

const hex = (n: number, tag: number) => `0x${tag.toString(16).padStart(2, '0')}${n.toString(16).padStart(38, '0')}`;

/** A deterministic pseudo-random catalogue (the same in every run). */
function catalogue(): SensorRecord[] {
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const statuses: SensorStatus[] = ['active', 'active', 'inactive', 'blocked'];
  return Array.from({ length: SENSORS }, (_, i) => ({
    sensor: hex(i, 0x5e),
    principal: hex(i % SELLERS, 0xa1),
    owner: hex(i % SELLERS, 0x0a),
    sensorType: Math.floor(rnd() * 4),
    latitudeE6: Math.round((rnd() * 160 - 80) * 1e6),
    longitudeE6: Math.round((rnd() * 360 - 180) * 1e6),
    price: BigInt(Math.floor(rnd() * 1e15)),
    status: statuses[Math.floor(rnd() * statuses.length)]!,
    subscriptionCount: Math.floor(rnd() * 10),
    index: i,
  }));
}

const QUERY = `query($f: SensorFilter, $after: String) {
  sensors(filter: $f, first: 20, after: $after) {
    totalCount
    edges { cursor node { address type { id name } location { latitude longitude } price status
      seller { name } activity { entriesStored lastPublishAt } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const FILTERS: Record<string, object> = {
  'active temperature sensors in a price range, first page': {
    types: [0],
    status: ['ACTIVE'],
    minPrice: '100000000000000',
    maxPrice: '800000000000000',
  },
  'active sensors in a map box (Europe), first page': {
    status: ['ACTIVE'],
    within: { south: 35, west: -10, north: 70, east: 40 },
  },
  'sensors within 2,000 km of Zurich of two types': {
    types: [0, 1],
    near: { latitude: 47.37, longitude: 8.54, radiusMeters: 2_000_000 },
  },
};

async function seed(redisUrl: string, prefix: string, head: number): Promise<void> {
  const redis = new Redis(redisUrl);
  const store = new RedisCatalogue(redis, prefix);
  const all = catalogue();
  for (let i = 0; i < all.length; i += 500) await store.putSensors(head, all.slice(i, i + 500));
  await store.putPrincipals(
    head,
    Array.from({ length: SELLERS }, (_, i) => ({
      principal: hex(i, 0xa1),
      owner: hex(i, 0x0a),
      name: `seller ${i}`,
      url: '',
      email: '',
      rsaPublicKeyHash: `0x${'00'.repeat(32)}`,
      sensorCount: SENSORS / SELLERS,
      pendingWithdrawal: 0n,
      index: i,
    })),
  );
  // The marketplace record: the gateway's poller keeps it current from the checkpoint on.
  const market = {
    address: hex(0, 0xee),
    owner: hex(0, 0x0a),
    principalFee: 0n,
    sensorFee: 0n,
    commissionBps: 0,
    sensorCount: SENSORS,
    principalCount: SELLERS,
    sensorTypes: ['Temperature', 'Humidity', 'AirPollution', 'WaterPollution'],
  };
  await store.putMarket(head, market);
  await store.setCheckpoint(head, true);
  await redis.quit();
}

async function ask(apiUrl: string, variables: object): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables }),
  });
  const body = (await res.json()) as { errors?: unknown };
  const ms = performance.now() - t0;
  if (body.errors) throw new Error(`catalogue query refused: ${JSON.stringify(body.errors)}`);
  return ms;
}

export async function catalogueScenario(ctx: ScenarioContext): Promise<void> {
  const env = await benchEnv(ctx);
  const prefix = `bench-cat-${Date.now().toString(36)}:`;
  const provider = new JsonRpcProvider(env.ep.rpcUrl);
  const head = await provider.getBlockNumber();
  provider.destroy();
  ctx.say(`catalogue: seeding ${SENSORS} sensors of ${SELLERS} sellers into the index ...`);
  const t0 = performance.now();
  await seed(env.ep.redisUrl, prefix, head);
  const seedMs = performance.now() - t0;
  const main = env.gateway;
  const redis = { ...env.gatewayConfig().redis, url: env.ep.redisUrl, keyPrefix: prefix };
  const gw = await env.startGateway(env.gatewayConfig({ redis }));
  try {
    const figures: Record<string, number | string> = { sensors: SENSORS, 'seeding the index, s': seedMs / 1000 };
    for (const [name, f] of Object.entries(FILTERS)) {
      for (let i = 0; i < 20; i++) await ask(gw.apiUrl, { f }); // warm-up: JIT, connections
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) times.push(await ask(gw.apiUrl, { f }));
      const s = summarize(times);
      figures[`${name}: p50 ms`] = Number(s.p50.toFixed(2));
      figures[`${name}: p99 ms`] = Number(s.p99.toFixed(2));
      ctx.say(`  ${name}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${ROUNDS} pages)`);
    }
    figures['goal: a filtered page in <= 50 ms'] = 'p99 of each query above';
    ctx.result.figures['catalogue (GraphQL, 10,000 sensors)'] = figures;
  } finally {
    await env.stopGateway();
    env.gateway = main;
  }
}
