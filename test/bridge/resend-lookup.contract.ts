// The look-up of a resend in a sensor's log (bridge/resend-check.ts findInLog), one suite for every
// LogStore: test/bridge/resend-check.test.ts runs it on the in-memory store,
// test/integration/bridge-kafka-store.test.ts on the real Kafka.
import { randomBytes } from 'node:crypto';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { findInLog } from '../../bridge/resend-check.ts';
import type { LogStore } from '../../bridge/log-store.ts';
import { SPEC, type ContractContext } from './log-store.contract.ts';

const KEY = '0x00000000000000000000000000000000000000aa';

/** A topic holding `n` envelope-like payloads (100 random bytes each), and those payloads. */
async function filled(store: LogStore, topic: string, n: number): Promise<Buffer[]> {
  await store.ensureTopic(topic, SPEC);
  const values = Array.from({ length: n }, () => randomBytes(100));
  await store.append(values.map((value, i) => ({ topic, key: KEY, value, timestamp: 1_000 + i, headers: {} })));
  return values;
}

export function resendLookupContract(suite: Test<ContractContext>): void {
  suite('findInLog: the offset of the record with these bytes among the last N', async (ctx) => {
    const topic = ctx.topic();
    const values = await filled(ctx.store, topic, 30);
    for (const i of [29, 20, 10])
      assert.is(await findInLog(ctx.store, topic, KEY, Buffer.from(values[i]!), 20, 1 << 20), i, `entry ${i}`);
  });

  suite('findInLog: nothing for bytes never written, or written before the last N', async (ctx) => {
    const topic = ctx.topic();
    const values = await filled(ctx.store, topic, 30);
    assert.is(await findInLog(ctx.store, topic, KEY, randomBytes(100), 30, 1 << 20), undefined, 'never written');
    assert.is(await findInLog(ctx.store, topic, KEY, values[9]!, 20, 1 << 20), undefined, 'before the last 20');
    const prefix = values[25]!.subarray(0, 99); // equal bytes, not a prefix of them, are a resend
    assert.is(await findInLog(ctx.store, topic, KEY, prefix, 30, 1 << 20), undefined, 'a prefix');
  });

  suite('findInLog: reads the window in several bounded reads; an empty log has nothing', async (ctx) => {
    const topic = ctx.topic();
    const values = await filled(ctx.store, topic, 40);
    // 300 bytes per read: three or four records each (a Kafka batch may come whole, which is fine).
    assert.is(await findInLog(ctx.store, topic, KEY, values[38]!, 40, 300), 38);
    const empty = ctx.topic();
    await ctx.store.ensureTopic(empty, SPEC);
    assert.is(await findInLog(ctx.store, empty, KEY, values[0]!, 40, 300), undefined);
  });
}
