// A device's resend (DUP set) that this bridge does not know is looked for in the sensor's log
// (bridge/resend-check.ts): the original taken by another instance (a second writer on the same
// store) or older than buffer.resendWindow is answered with its offset and not written again; a
// new one is written, in its place among the sensor's publishes; a look-up Kafka does not answer
// is given up after lookupTimeoutMs and the resend written (at least once), counted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import type { WriterOptions } from '../../bridge/writer.ts';
import { address, publish, resend, testWriter, writerOptions } from '../helpers/bridge-fakes.ts';
import type { ContractContext } from './log-store.contract.ts';
import { resendLookupContract } from './resend-lookup.contract.ts';

let n = 0;
const contract = suite<ContractContext>('resend look-up contract (memory store)', {
  store: new MemoryLogStore(),
  topic: () => `r${n++}`,
});
resendLookupContract(contract);
contract.run();

/** A store whose reads can be made to hang, as Kafka's do while it is away (its appends go on). */
class SilentReads extends MemoryLogStore {
  silent = false;
  override bounds(topic: string, partition: number) {
    return this.silent ? new Promise<never>(() => undefined) : super.bounds(topic, partition);
  }
}

function instance(store: MemoryLogStore, over: Partial<WriterOptions> = {}) {
  const { writer, metrics } = testWriter(store, writerOptions(over));
  const count = async (name: 'resendsRecognised' | 'resendLookups', result?: string) =>
    (await metrics[name].get()).values.find((v) => result === undefined || v.labels.result === result)?.value ?? 0;
  return { writer, metrics, count };
}

async function setup(over: Partial<WriterOptions> = {}) {
  const store = new SilentReads();
  const sensor = address();
  const a = instance(store, over);
  const b = instance(store, over);
  await a.writer.ensureTopic(sensor);
  await b.writer.ensureTopic(sensor);
  const stored = async () =>
    (await store.read(`p.${sensor}`, 0, 0, { maxBytes: 1 << 30, maxRecords: 1 << 30 })).map((r) => r.value.toString());
  const close = () => Promise.all([a.writer.close(100), b.writer.close(100)]);
  return { store, sensor, a, b, stored, close };
}

const bytes = (s: string) => Buffer.from(s);
const t = suite('resend look-up in the log');

t('a resend on another instance is found in the log: its offset, not written again, counted', async () => {
  const s = await setup();
  for (const p of ['a', 'b', 'c']) await s.a.writer.submit(publish(s.sensor, bytes(p)));
  assert.is(await s.b.writer.submit(resend(s.sensor, bytes('b'))), 1);
  assert.is(await s.b.writer.submit(resend(s.sensor, bytes('b'))), 1, 'a third copy: from memory now');
  assert.equal(await s.stored(), ['a', 'b', 'c']);
  assert.is(await s.b.count('resendsRecognised'), 2);
  assert.is(await s.b.count('resendLookups', 'found'), 1, 'the third copy needed no look-up');
  await s.close();
});

t('a resend older than resendWindow is found in the log on the same instance', async () => {
  const s = await setup({ buffer: { ...writerOptions().buffer, resendWindow: 2 } });
  for (const p of ['a', 'b', 'c', 'd']) await s.a.writer.submit(publish(s.sensor, bytes(p)));
  assert.is(await s.a.writer.submit(resend(s.sensor, bytes('a'))), 0);
  assert.equal(await s.stored(), ['a', 'b', 'c', 'd']);
  assert.is(await s.a.count('resendLookups', 'found'), 1);
  await s.close();
});

t('without DUP, or older than logLookbackEntries, it is written again (the look-up is bounded)', async () => {
  const s = await setup({ resend: { ...writerOptions().resend, logLookbackEntries: 2 } });
  for (const p of ['a', 'b', 'c']) await s.a.writer.submit(publish(s.sensor, bytes(p)));
  assert.is(await s.b.writer.submit(publish(s.sensor, bytes('c'))), 3, 'no DUP: not looked up');
  assert.is(await s.b.writer.submit(resend(s.sensor, bytes('a'))), 4, 'a: before the last 2 entries');
  assert.equal(await s.stored(), ['a', 'b', 'c', 'c', 'a']);
  assert.is(await s.b.count('resendLookups', 'absent'), 1);
  assert.is(await s.b.count('resendLookups', 'found'), 0);
  await s.close();
});

t('a DUP publish the log does not have is written before what the device sent after it', async () => {
  const s = await setup();
  await s.a.writer.submit(publish(s.sensor, bytes('a')));
  // Its PUBACK was lost before it reached Kafka: the resend is new, then the device goes on.
  const sent = [s.b.writer.submit(resend(s.sensor, bytes('b'))), s.b.writer.submit(publish(s.sensor, bytes('c')))];
  sent.push(s.b.writer.submit(resend(s.sensor, bytes('b'))), s.b.writer.submit(publish(s.sensor, bytes('d'))));
  assert.equal(await Promise.all(sent), [1, 2, 1, 3]);
  assert.equal(await s.stored(), ['a', 'b', 'c', 'd']);
  assert.is(await s.b.count('resendLookups', 'absent'), 1);
  await s.close();
});

t('Kafka not answering the look-up: written after lookupTimeoutMs (at least once), counted failed', async () => {
  const s = await setup({ resend: { ...writerOptions().resend, lookupTimeoutMs: 50 } });
  await s.a.writer.submit(publish(s.sensor, bytes('a')));
  s.store.silent = true;
  const again = s.b.writer.submit(resend(s.sensor, bytes('a')));
  const later = s.b.writer.submit(publish(s.sensor, bytes('b')));
  assert.is(await again, 1, 'not dropped: written again');
  assert.is(await later, 2, 'the publish after it waited and kept its place');
  assert.equal(await s.stored(), ['a', 'a', 'b']);
  assert.is(await s.b.count('resendLookups', 'failed'), 1);
  assert.is(await s.b.count('resendsRecognised'), 0);
  await s.close();
});

t('Kafka already seen stalled: a resend is not looked up but buffered like any publish, counted failed', async () => {
  const s = await setup();
  await s.a.writer.submit(publish(s.sensor, bytes('a')));
  s.store.setAvailable(false);
  s.store.silent = true;
  const stalled = s.b.writer.submit(publish(s.sensor, bytes('b')));
  while (s.b.writer.state().kafkaAvailable) await new Promise((ok) => setTimeout(ok, 10)); // stallWarnMs 100
  const again = s.b.writer.submit(resend(s.sensor, bytes('a')));
  s.store.setAvailable(true);
  s.store.silent = false;
  assert.equal(await Promise.all([stalled, again]), [1, 2]);
  assert.equal(await s.stored(), ['a', 'b', 'a']);
  assert.is(await s.b.count('resendLookups', 'failed'), 1);
  const tried = (await s.b.metrics.resendLookupSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'));
  assert.is(tried?.value ?? 0, 0, 'no look-up was tried');
  await s.close();
});

t.run();
