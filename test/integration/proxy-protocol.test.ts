// The PROXY protocol on the MQTT TCP listener behind a load balancer: the test plays the
// balancer at 127.0.0.1 (a trusted proxy) and sends real v1 and v2 headers. The network policy
// judges the device address in the header: a denied network gets CONNACK 5, an allowed one
// CONNACK 0. A client that is not a trusted proxy (127.0.0.2) is judged by its own address and
// sends no header; a trusted peer without a header is disconnected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqttFrom, testGateway } from '../helpers/gateway.ts';
import { proxyV1 as v1, proxyV2 as v2, viaBalancer as connectViaBalancer } from '../helpers/proxy.ts';

let gw: GatewayHandle;
let token: string;
const ID = 'operator:lb';

test.before(async () => {
  gw = await testGateway({
    broker: { listeners: { tcp: { host: '127.0.0.1', port: 0, proxyProtocol: true } } },
    sovereignty: { trustedProxies: ['127.0.0.1'], deny: ['203.0.113.0/24'] },
  });
  token = (await gw.tokens.issueOperator('lb', 600)).token;
});

test.after(async () => {
  await gw?.close();
});

const viaBalancer = (header: Buffer | undefined) =>
  connectViaBalancer(gw.mqtt.tcp!, header, { clientId: ID, username: ID, password: token });

for (const [name, header] of [
  ['v1', v1],
  ['v2', v2],
] as const) {
  test(`${name}: a device in a denied network gets CONNACK 5, one in another network CONNACK 0`, async () => {
    const denied = await viaBalancer(header('203.0.113.9'));
    assert.ok(denied !== 'closed' && denied.returnCode === 5, 'denied network: CONNACK 5');
    denied.client.end(true);
    const allowed = await viaBalancer(header('198.51.100.9'));
    assert.ok(allowed !== 'closed' && allowed.returnCode === 0, 'other network: CONNACK 0');
    allowed.client.end(true);
  });
}

test('a trusted balancer without a header is disconnected; an untrusted peer needs none', async () => {
  assert.is(await viaBalancer(undefined), 'closed');
  const direct = await connectMqttFrom('127.0.0.2', gw.mqtt.tcp!, { clientId: ID, username: ID, password: token });
  assert.is(direct.returnCode, 0);
  direct.client.end(true);
});

test.run();
