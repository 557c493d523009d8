// The memory cursor store passes the CursorStore contract (the Redis one: test/integration/cursor-store-redis.test.ts).
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import { MemoryCursorStore } from '../../metering/cursors.ts';
import { cursorStoreContract, type CursorContext } from './cursor-store.contract.ts';

const sensor = () => `0x${randomBytes(20).toString('hex')}`;
const memory = suite<CursorContext>('memory cursor store contract', { store: new MemoryCursorStore(), sensor });
cursorStoreContract(memory);
memory.run();
