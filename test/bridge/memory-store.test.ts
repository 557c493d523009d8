// The in-memory LogStore passes the LogStore contract, and an unavailable store makes appends
// wait and then complete in order (what the writer's unit tests rely on).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryLogStore } from '../../bridge/memory-store.ts';
import { SPEC, logStoreContract, type ContractContext } from './log-store.contract.ts';

let n = 0;
const contract = suite<ContractContext>('memory store contract', {
  store: new MemoryLogStore(),
  topic: () => `t${n++}`,
});
logStoreContract(contract);
contract.run();

const extra = suite('memory store');

extra('appends wait while unavailable and complete in call order when it returns', async () => {
  const store = new MemoryLogStore();
  await store.ensureTopic('t', SPEC);
  store.setAvailable(false);
  const done: number[] = [];
  const pending = [0, 1, 2].map((i) =>
    store
      .append([{ topic: 't', key: 'k', value: Buffer.from([i]), timestamp: i, headers: {} }])
      .then(([o]) => done.push(o!)),
  );
  // The store waits on promises, no timer: once the queued work has run, nothing is done.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(done, []);
  store.setAvailable(true);
  await Promise.all(pending);
  assert.equal(done, [0, 1, 2]);
});

extra.run();
