// The GraphQL catalogue on a real gateway following real chain events: a fresh marketplace,
// sensors registered, activated, re-priced and blocked on anvil, the index read back through
// POST /graphql with every filter and the cursor, and a device's publishes showing up as activity.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { attachPrincipal, attachSensor, mined, registerSensor } from '../../contracts/client.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { readSdl } from '../../graphql/sdl-docs.ts';
import { connectMqtt, end, publishAck, testGateway } from '../helpers/gateway.ts';
import { gql, gqlData, indexed } from '../helpers/graphql.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const test = suite('graphql catalogue');
let market: Market;
let gw: GatewayHandle;
let api: string;
let seller: Account;
let other: Account;
const sensors: string[] = [];

// [type, latitudeE6, longitudeE6, price, active]: Zürich, Geneva, Zürich, Sydney.
const PLAN = [
  [0, 47_376_887, 8_541_694, 10n, true],
  [1, 46_204_391, 6_143_158, 20n, true],
  [0, 47_380_000, 8_540_000, 30n, false],
  [2, -33_868_820, 151_209_296, 40n, true],
] as const;

test.before(async () => {
  market = await Market.deploy(services().rpcUrl);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock });
  api = `http://127.0.0.1:${gw.httpPort}`;
  seller = await market.principal('seller');
  other = await market.principal('other');
  for (const [i, [sensorType, latitudeE6, longitudeE6, pricePerDataEntry, active]] of PLAN.entries()) {
    const owner = i === 3 ? other : seller;
    const p = attachPrincipal(owner.principal, owner.wallet);
    const { address } = await registerSensor(p, { sensorType, latitudeE6, longitudeE6, pricePerDataEntry });
    if (active) await mined(attachSensor(address, owner.wallet).activate());
    sensors.push(address.toLowerCase());
  }
  await indexed(api, market.provider);
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

const SENSORS = `query($f: SensorFilter, $first: Int, $after: String, $o: SensorOrder) {
  sensors(filter: $f, first: $first, after: $after, orderBy: $o) {
    totalCount
    edges { cursor node { address } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Conn = {
  sensors: {
    totalCount: number;
    edges: { cursor: string; node: { address: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

/** Every sensor the filter lets through, paging `first` at a time, as PLAN indexes. */
async function matching(f: object, first = 1, o = 'REGISTERED'): Promise<number[]> {
  const out: number[] = [];
  let after: string | null = null;
  for (;;) {
    const d: Conn = await gqlData<Conn>(api, SENSORS, { f, first, after, o });
    out.push(...d.sensors.edges.map((e) => sensors.indexOf(e.node.address)));
    if (!d.sensors.pageInfo.hasNextPage) return out;
    after = d.sensors.pageInfo.endCursor;
  }
}

test('the marketplace as deployed: fees, commission, owner, types, counts', async () => {
  const { marketplace: m } = await gqlData(
    api,
    '{ marketplace { address chainId owner principalFee sensorFee commissionBps sensorCount principalCount ' +
      'sensorTypes { id name } indexedBlock } }',
  );
  assert.equal(
    [m.address, m.owner, m.principalFee, m.sensorFee, m.commissionBps, m.sensorCount, m.principalCount],
    [market.address, market.owner.address.toLowerCase(), '1000', '100', 500, 4, 2],
  );
  assert.is(m.chainId, 31337);
  assert.equal(m.sensorTypes.slice(0, 2), [
    { id: 0, name: 'Temperature' },
    { id: 1, name: 'Humidity' },
  ]);
});

test('filters and pages: type, status, price, seller, a box, a radius, newest first', async () => {
  assert.equal(await matching({}), [0, 1, 2, 3]);
  assert.equal(await matching({}, 3, 'NEWEST'), [3, 2, 1, 0]);
  assert.equal(await matching({ types: [0] }), [0, 2]);
  assert.equal(await matching({ status: ['ACTIVE'] }, 2), [0, 1, 3]);
  assert.equal(await matching({ status: ['INACTIVE'] }), [2]);
  assert.equal(await matching({ minPrice: '20', maxPrice: '30' }), [1, 2]);
  assert.equal(await matching({ seller: other.principal }), [3]);
  assert.equal(await matching({ within: { south: 45, west: 5, north: 48, east: 11 } }), [0, 1, 2]);
  assert.equal(await matching({ within: { south: -40, west: 150, north: -30, east: -170 } }), [3]);
  const zurich = { latitude: 47.3769, longitude: 8.5417, radiusMeters: 5000 };
  assert.equal(await matching({ near: zurich, status: ['ACTIVE'] }), [0]);
  const d = await gqlData<Conn>(api, SENSORS, { f: { types: [0, 1] }, first: 2 });
  assert.equal([d.sensors.totalCount, d.sensors.pageInfo.hasNextPage, d.sensors.edges.length], [3, true, 2]);
});

test('one sensor with its seller; an unknown address is null', async () => {
  const q = `query($a: Address!) { sensor(address: $a) { address type { id name } location { latitude longitude }
    price status owner index subscriptionCount seller { address name email sensorCount } } }`;
  const { sensor } = await gqlData(api, q, { a: sensors[1]!.toUpperCase().replace('0X', '0x') });
  assert.equal(sensor, {
    address: sensors[1],
    type: { id: 1, name: 'Humidity' },
    location: { latitude: 46.204391, longitude: 6.143158 },
    price: '20',
    status: 'ACTIVE',
    owner: seller.wallet.address.toLowerCase(),
    index: 1,
    subscriptionCount: 0,
    seller: { address: seller.principal, name: 'seller', email: 'seller@example.org', sensorCount: 3 },
  });
  assert.is((await gqlData(api, q, { a: `0x${'1'.repeat(40)}` })).sensor, null);
});

test('chain events move sensors: a new price, a deactivation, a block, a subscription', async () => {
  const s0 = attachSensor(sensors[0]!, seller.wallet);
  await mined(s0.setPricePerDataEntry(99n));
  await market.deactivate(seller, sensors[1]!);
  await market.block(sensors[3]!);
  const buyer = await market.principal('buyer');
  await market.subscribe(buyer, sensors[0]!, 5);
  await indexed(api, market.provider);
  assert.equal(await matching({ status: ['ACTIVE'] }), [0]);
  assert.equal(await matching({ status: ['BLOCKED'] }), [3]);
  assert.equal(await matching({ minPrice: '99' }), [0]);
  const q = `query($a: Address!) { sensor(address: $a) { price subscriptionCount seller { address } } }`;
  const { sensor } = await gqlData(api, q, { a: sensors[0] });
  assert.equal(sensor, { price: '99', subscriptionCount: 1, seller: { address: seller.principal } });
  const { principals } = await gqlData(api, '{ principals(first: 10) { totalCount nodes { name } } }');
  assert.equal(principals, { totalCount: 3, nodes: [{ name: 'seller' }, { name: 'other' }, { name: 'buyer' }] });
});

test("a device's publishes become the sensor's activity: entries stored and the last publish", async () => {
  const sensor = sensors[0]!;
  const token = (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId: sensor,
    username: sensor,
    password: token,
  });
  assert.is(c.returnCode, 0);
  const before = Date.now();
  for (let i = 0; i < 3; i++) assert.is(await publishAck(c.client, `sensors/${sensor}`, `r${i}`), 'acked');
  await end(c.client);
  const q = `query($a: Address!) { sensor(address: $a) { activity { entriesStored lastPublishAt } } }`;
  type A = { sensor: { activity: { entriesStored: number; lastPublishAt: string | null } } };
  let a: A['sensor']['activity'];
  for (;;) {
    a = (await gqlData<A>(api, q, { a: sensor })).sensor.activity;
    if (a.entriesStored >= 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(a.entriesStored, 3);
  assert.ok(Date.parse(a.lastPublishAt!) >= before - 1000, a.lastPublishAt!);
  const idle = (await gqlData<A>(api, q, { a: sensors[2] })).sensor.activity;
  assert.equal(idle, { entriesStored: 0, lastPublishAt: null });
});

test('the gateway serves exactly the committed schema', async () => {
  const r = await gql<Record<string, unknown>>(api, getIntrospectionQuery({ schemaDescription: true }));
  assert.is(r.errors, undefined);
  const served = printSchema(buildClientSchema(r.data as never));
  assert.is(served, printSchema(buildSchema(readSdl())));
});

test.run();
