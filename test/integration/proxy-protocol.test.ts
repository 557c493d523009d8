// The PROXY protocol on the MQTT TCP listener behind a load balancer: the test plays the
// balancer at 127.0.0.1 (a trusted proxy) and sends real v1 and v2 headers. The network policy
// judges the device address in the header: a denied network gets CONNACK 5, an allowed one
// CONNACK 0. A client that is not a trusted proxy (127.0.0.2) is judged by its own address and
// sends no header; a trusted peer without a header is disconnected.
import { createConnection } from 'node:net';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectMqttFrom, testGateway, type Connected } from '../helpers/gateway.ts';

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

/** An MQTT client behind the "balancer": the header goes first on the same TCP connection. */
function viaBalancer(header: Buffer | undefined): Promise<Connected | 'closed'> {
  const client = new mqtt.MqttClient(
    () => {
      const s = createConnection({ host: '127.0.0.1', port: gw.mqtt.tcp! });
      if (header) s.write(header);
      return s;
    },
    { protocolVersion: 4, reconnectPeriod: 0, clientId: ID, username: ID, password: token },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CONNACK or close within 15 s')), 15_000);
    client.on('error', () => undefined);
    client.on('packetreceive', (p) => {
      if (p.cmd !== 'connack') return;
      clearTimeout(timer);
      resolve({ client, returnCode: p.returnCode ?? 0, sessionPresent: p.sessionPresent });
    });
    client.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

const v1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 51000 1883\r\n`);
const v2 = (src: string) =>
  Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex'),
    Buffer.from(src.split('.').map(Number)),
    Buffer.from([127, 0, 0, 1, 0xc7, 0x38, 0x07, 0x53]),
  ]);

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
