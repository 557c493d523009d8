import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticFleet } from '../../bench/fleet.ts';
import type { GatewayProcess } from '../../bench/env.ts';
import { spread } from '../../bench/scenarios/scaleout.ts';

const gws = [1001, 1002, 1003].map((port) => ({ mqtt: { host: '127.0.0.1', port } }) as GatewayProcess);

test('devices go round-robin over the instances, every buyer to an instance other than its device', () => {
  const fleet = syntheticFleet(10);
  const out = spread(fleet, gws);
  assert.equal(
    out.devices.map((d) => d.endpoint!.port),
    [1001, 1002, 1003, 1001, 1002, 1003, 1001, 1002, 1003, 1001],
  );
  out.buyers.forEach((b, j) => {
    const device = out.devices[out.buyerDevice[j]!]!;
    assert.is.not(b.endpoint!.port, device.endpoint!.port, `buyer ${j} is away from its device`);
  });
  // Both other instances get buyers: nothing left for one of them alone.
  const used = new Set(out.buyers.map((b) => b.endpoint!.port));
  assert.equal([...used].sort(), [1001, 1002, 1003]);
  assert.equal(fleet.devices[0]!.endpoint, undefined, 'the fleet itself is left as it was');
});

test.run();
