// The hand-made validSubscriptions calldata (chain/entitlements.ts, made per (buyer, sensor) of a
// storm without ethers' per-call look-up and hashing) is byte for byte what ethers encodes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validSubscriptionsCall } from '../../chain/entitlements.ts';
import { marketplaceInterface as iface } from '../../contracts/client.ts';

test('validSubscriptions calldata equals ethers encodeFunctionData', () => {
  const pairs = [
    ['0x0000000000000000000000000000000000000001', '0xffffffffffffffffffffffffffffffffffffffff'],
    ['0x5fbdb2315678afecb367f032d93f642f64180aa3', '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512'],
  ] as const;
  for (const [b, s] of pairs)
    assert.is(validSubscriptionsCall(b, s), iface.encodeFunctionData('validSubscriptions', [b, s]));
});

test.run();
