// One contract for every KeyringStore (sdk/crypto/keyring.ts): where the SDK's helpers keep and
// find keyrings. Run against the memory store and the Node.js key folder.
import { test, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, type KeyringStore } from '../../sdk/crypto/keyring.ts';

const A = '0x1234567890abcdef1234567890abcdef12345678';
const B = '0x00000000000000000000000000000000000000b2';

export function keyringStoreContract(name: string, make: () => KeyringStore): Test {
  const suite = test;
  suite(`${name}: nothing is found before it was saved`, async () => {
    assert.is(await make().load(A), undefined);
  });
  suite(`${name}: a saved keyring loads with its keys, by any case of the address`, async () => {
    const store = make();
    const ring = Keyring.generate(A, 1_000);
    ring.rotate(2_000);
    await store.save(ring);
    const got = (await store.load(A.toUpperCase().replace('0X', '0x')))!;
    assert.equal(got.keyIds(), [1, 2]);
    assert.equal(got.current().key, ring.current().key);
    assert.is(await store.load(B), undefined, 'one sensor per keyring');
  });
  suite(`${name}: saving again keeps the change (a key a buyer received)`, async () => {
    const store = make();
    const seller = Keyring.generate(B);
    await store.save(Keyring.empty(B));
    const ring = (await store.load(B))!;
    ring.add(seller.current());
    await store.save(ring);
    assert.equal((await store.load(B))!.get(1)!.key, seller.current().key);
  });
  return suite;
}
