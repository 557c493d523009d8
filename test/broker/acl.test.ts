import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mayReceive, publishRoute, subscribeRoute } from '../../broker/acl.ts';
import type { Identity } from '../../auth/jwt.ts';

const me = '0x' + 'a'.repeat(40);
const other = '0x' + 'b'.repeat(40);
const sensor = '0x' + 'c'.repeat(40);
const principal: Identity = { kind: 'principal', sub: me, account: other, jti: 'j', iat: 0, exp: 0 };
const device: Identity = { kind: 'sensor', sub: sensor, principal: me, jti: 'j', iat: 0, exp: 0 };
const operator: Identity = { kind: 'operator', sub: 'operator:ops', jti: 'j', iat: 0, exp: 0 };

test('publish: a sensor only to its own topic; a principal under its own trees, never what the gateway writes', () => {
  const kinds = (id: Identity, topics: string[]) => topics.map((t) => publishRoute(id, t).kind);
  assert.equal(
    kinds(device, [
      `sensors/${sensor}`,
      `sensors/${other}`,
      `sensors/${sensor}/x`,
      `buyers/${me}/replay`,
      `sellers/${me}/keys/replies`,
      '$SYS/x',
    ]),
    ['sensor-data', 'deny', 'deny', 'deny', 'deny', 'deny'],
  );
  assert.equal(
    kinds(principal, [
      `buyers/${me}/replay/req`,
      `buyers/${me}/keys/request`,
      `buyers/${me}/keys/7`,
      `buyers/${me}/notices`,
      `buyers/${me}`,
      `buyers/${other}/replay`,
      `sellers/${me}/keys/replies`,
      `sellers/${me}/keys/requests`,
      `sellers/${other}/keys/replies`,
      `sensors/${sensor}`,
    ]),
    ['buyer-request', 'buyer-request', 'deny', 'deny', 'deny', 'deny', 'seller-reply', 'deny', 'deny', 'deny'],
  );
  assert.equal(kinds(operator, ['$SYS/x', `buyers/${me}/x`]), ['deny', 'deny']);
});

test('subscribe: exact sensor topics, own trees, $SYS for operators; every other wildcard refused', () => {
  const kinds = (id: Identity, filters: string[]) => filters.map((f) => subscribeRoute(id, f).kind);
  assert.equal(
    kinds(principal, [
      `sensors/${sensor}`,
      'sensors/+',
      'sensors/#',
      '#',
      '+/+',
      `+/${me}/#`,
      `buyers/${me}/#`,
      `buyers/${me}/keys/+`,
      `buyers/${other}/#`,
      'buyers/+/notices',
      `sellers/${me}/keys/requests`,
      `sellers/${me}/keys/replies`,
      `sellers/${me}/#`,
      '$SYS/#',
      `sensors/${sensor.toUpperCase()}`,
    ]),
    [
      'sensor',
      'deny',
      'deny',
      'deny',
      'deny',
      'deny',
      'own',
      'own',
      'deny',
      'deny',
      'own',
      'deny',
      'deny',
      'deny',
      'deny',
    ],
  );
  assert.equal(kinds(device, [`sensors/${sensor}`, '#']), ['deny', 'deny']);
  assert.equal(kinds(operator, ['$SYS/#', '$SYS/+/new/clients', '#', `sensors/${sensor}`]), [
    'sys',
    'sys',
    'deny',
    'deny',
  ]);
});

test('forward: $SYS to operators, own trees to their principal, sensor data through metering', () => {
  assert.is(mayReceive(operator, '$SYS/x/heartbeat'), 'yes');
  assert.is(mayReceive(principal, '$SYS/x/heartbeat'), 'no');
  assert.is(mayReceive(principal, `buyers/${me}/notices`), 'yes');
  assert.is(mayReceive(principal, `buyers/${other}/notices`), 'no');
  assert.is(mayReceive(principal, `sensors/${sensor}`), 'sensor');
  assert.is(mayReceive(principal, `sellers/${me}/keys/requests`), 'yes');
  assert.is(mayReceive(principal, `sellers/${me}/keys/replies`), 'no');
  assert.is(mayReceive(device, `sensors/${sensor}`), 'no');
});

test.run();
