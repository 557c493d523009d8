// The Redis cursor store passes the CursorStore contract on the real Redis (Lua compare-and-set),
// and sends the advances of one event-loop turn as one command.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisCursorStore } from '../../metering/cursors.ts';
import { cursorStoreContract, type CursorContext } from '../metering/cursor-store.contract.ts';
import { CommandLog } from '../helpers/redis-monitor.ts';
import { services, unique } from '../helpers/services.ts';

const sensor = () => `0x${randomBytes(20).toString('hex')}`;
const BUYER = `0x${'b'.repeat(40)}`;
const redis = new Redis(services().redisUrl);
const prefix = `${unique('cursors')}:`;
const store = new RedisCursorStore(redis, prefix);
const onRedis = suite<CursorContext>('redis cursor store contract', { store, sensor });
cursorStoreContract(onRedis);
onRedis.run();

const batching = suite('redis cursor store: one command per turn');
let monitor: CommandLog;
batching.before(async () => {
  monitor = await CommandLog.start(services().redisUrl);
});
batching.after(async () => {
  await monitor.stop();
  await redis.quit();
});

batching('40 buyers acknowledging in one turn: one script call advances all 40 cursors', async () => {
  const sensors = Array.from({ length: 40 }, sensor);
  await Promise.all(sensors.map((s) => store.open(BUYER, s, { next: 0, delivered: 0 })));
  const from = await monitor.mark();
  const got = await Promise.all(sensors.map((s, i) => store.advance(BUYER, s, 0, i + 1, i + 1)));
  const calls = monitor.between(from, await monitor.mark()).filter((a) => a.some((x) => x.startsWith(prefix)));
  assert.is(calls.length, 1, `commands: ${calls.map((a) => a[0]).join(', ')}`);
  assert.match(calls[0]![0]!, /^eval(sha)?$/i);
  assert.is(calls[0]!.filter((x) => x.startsWith(`${prefix}cursor:`)).length, 40);
  assert.equal(
    got.map((a) => a.cursor),
    sensors.map((_s, i) => ({ next: i + 1, delivered: i + 1 })),
  );
  assert.ok(got.every((a) => a.moved));
  for (const [i, s] of sensors.entries()) assert.equal(await store.get(BUYER, s), { next: i + 1, delivered: i + 1 });
});

batching('advances of one cursor in one batch stay compare-and-sets, in the order they were asked', async () => {
  const s = sensor();
  await store.open(BUYER, s, { next: 5, delivered: 0 });
  const [a, b, c] = await Promise.all([
    store.advance(BUYER, s, 5, 7, 2),
    store.advance(BUYER, s, 5, 9, 4),
    store.advance(BUYER, s, 7, 8, 1),
  ]);
  assert.equal(a, { moved: true, cursor: { next: 7, delivered: 2 } });
  assert.equal(b, { moved: false, cursor: { next: 7, delivered: 2 } });
  assert.equal(c, { moved: true, cursor: { next: 8, delivered: 3 } });
});

batching.run();
