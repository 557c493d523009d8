// The Redis cursor store passes the CursorStore contract on the real Redis (Lua compare-and-set).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import { RedisCursorStore } from '../../metering/cursors.ts';
import { cursorStoreContract, type CursorContext } from '../metering/cursor-store.contract.ts';
import { services, unique } from '../helpers/services.ts';

const sensor = () => `0x${randomBytes(20).toString('hex')}`;
const redis = new Redis(services().redisUrl);
const onRedis = suite<CursorContext>('redis cursor store contract', {
  store: new RedisCursorStore(redis, `${unique('cursors')}:`),
  sensor,
});
cursorStoreContract(onRedis);
onRedis.after(() => void redis.quit());
onRedis.run();
