// The Redis catalogue index passes the CatalogueStore contract on the real Redis, and leaves no
// temporary key behind a filtered page.
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisCatalogue } from '../../catalogue/redis-store.ts';
import { catalogueStoreContract, sensor, type StoreContext } from '../catalogue/store.contract.ts';
import { services, unique } from '../helpers/services.ts';

const redis = new Redis(services().redisUrl);
const contract = suite<StoreContext>('redis catalogue contract', {
  fresh: () => new RedisCatalogue(redis, `${unique('cat')}:`),
});
catalogueStoreContract(contract);
contract.after(() => void redis.disconnect());
contract.run();

const temps = suite('redis catalogue: temporary keys');
const conn = new Redis(services().redisUrl);
temps('a page with every filter leaves only the index keys', async () => {
  const prefix = `${unique('cat')}:`;
  const store = new RedisCatalogue(conn, prefix);
  await store.putSensors(1, [sensor(0, { latitudeE6: 10_000_000, longitudeE6: 20_000_000 })]);
  const before = (await conn.keys(`${prefix}*`)).sort();
  const page = await store.sensorsPage({
    types: [0, 1],
    status: ['active', 'blocked'],
    seller: sensor(0).principal,
    minPrice: 0n,
    within: { south: 0, west: 170, north: 20, east: 30 },
    near: { latitude: 10, longitude: 20, radiusMeters: 1000 },
    first: 5,
  });
  assert.is(page.total, 1);
  assert.equal((await conn.keys(`${prefix}*`)).sort(), before);
});
temps.after(() => void conn.disconnect());
temps.run();
