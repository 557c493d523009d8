// The PROXY protocol on the MQTT TLS and WebSocket listeners behind a load balancer: the test
// plays the balancer at 127.0.0.1 (a trusted proxy) and sends real v1 and v2 headers, then a real
// TLS handshake (certificates the test makes; the header and the ClientHello in one write) or a
// real HTTP upgrade. The network policy judges the device address in the header: a denied network
// (203.0.113.0/24) or country (JP: 202.12.27.33) gets CONNACK 5, an allowed one (CH: 130.60.1.1)
// CONNACK 0, and the admin client list shows the device's address. A device certificate still
// names its sensor through the balancer (certIdentity either, on a real chain). A header from a
// peer that is not a trusted proxy (127.0.0.2) is refused (the link closes without a CONNACK);
// that peer connects without one; a trusted balancer that sends none is disconnected.
import { connect as tlsConnect } from 'node:tls';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket, { createWebSocketStream } from 'ws';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import type { ClientRecord } from '../../interfaces/admin.ts';
import type { Connected } from '../helpers/gateway.ts';
import { testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { TestPki, type Leaf } from '../helpers/pki.ts';
import { balancerSocket, connackOrClose, headerFirst, proxyV1, proxyV2 } from '../helpers/proxy.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const pki = new TestPki('itrade-device-ca');
let market: Market;
let seller: Account;
let sensor: string;
let gw: GatewayHandle;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  sensor = (await market.sensor(seller)).sensor;
  const tls = pki.tlsListener('server-proxied', { certIdentity: 'either', proxyProtocol: true });
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    broker: { listeners: { tls, ws: { host: '127.0.0.1', port: 0, proxyProtocol: true } } },
    sovereignty: { trustedProxies: ['127.0.0.1'], deny: ['203.0.113.0/24'], countries: { deny: ['JP'] } },
  });
});

test.after(async () => {
  await gw?.close();
  market?.close();
  pki.rm();
});

type Via = { header?: Buffer; from?: string; leaf?: Leaf; operator?: string };

async function login(o: Via) {
  if (!o.operator) return { clientId: sensor };
  const { token } = await gw.tokens.issueOperator(o.operator, 600);
  const id = `operator:${o.operator}`;
  return { clientId: id, username: id, password: token };
}

/** MQTT over TLS through the balancer: the header, then the TLS handshake on the same connection. */
async function overTls(o: Via): Promise<Connected | 'closed'> {
  const tlsOpts = {
    host: '127.0.0.1',
    ca: pki.pem(pki.ca.cert),
    ...(o.leaf ? { cert: pki.pem(o.leaf.cert), key: pki.pem(o.leaf.key) } : {}),
  };
  const stream = () => tlsConnect({ ...tlsOpts, socket: headerFirst(balancerSocket(gw.mqtt.tls!, o.from), o.header) });
  return connackOrClose(new mqtt.MqttClient(stream, { protocolVersion: 4, reconnectPeriod: 0, ...(await login(o)) }));
}

/** MQTT over WebSocket through the balancer: the header, then the HTTP upgrade. */
async function overWs(o: Via): Promise<Connected | 'closed'> {
  const createConnection = () => {
    const s = balancerSocket(gw.mqtt.ws!, o.from);
    if (o.header) s.write(o.header);
    return s;
  };
  const url = `ws://127.0.0.1:${gw.mqtt.ws}/mqtt`;
  const stream = () => createWebSocketStream(new WebSocket(url, 'mqtt', { createConnection }));
  return connackOrClose(new mqtt.MqttClient(stream, { protocolVersion: 4, reconnectPeriod: 0, ...(await login(o)) }));
}

/** The address the admin client list shows for a connected client (the one the policy saw). */
async function listedAddress(clientId: string): Promise<string | undefined> {
  const { token } = await gw.tokens.issueOperator('admin', 600);
  // The list is written soon after CONNECT: asked again until the client is in it.
  for (const t0 = Date.now(); Date.now() - t0 < 15_000; await new Promise((r) => setTimeout(r, 50))) {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/admin/clients`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { clients } = (await res.json()) as { clients: ClientRecord[] };
    const c = clients.find((x) => x.clientId === clientId);
    if (c) return c.address;
  }
  throw new Error(`${clientId} not in the admin client list within 15 s`);
}

function code(c: Connected | 'closed'): number | 'closed' {
  if (c === 'closed') return c;
  c.client.end(true);
  return c.returnCode;
}

const HEADERS = [
  ['v1', proxyV1],
  ['v2', proxyV2],
] as const;
const LISTENERS = [
  ['TLS', overTls],
  ['WebSocket', overWs],
] as const;

for (const [listener, via] of LISTENERS)
  for (const [version, header] of HEADERS) {
    test(`${listener} ${version}: a denied network or country gets CONNACK 5, an allowed device 0`, async () => {
      const operator = `${listener}-${version}`.toLowerCase();
      assert.is(code(await via({ header: header('203.0.113.9'), operator })), 5, 'denied network');
      assert.is(code(await via({ header: header('202.12.27.33'), operator })), 5, 'denied country (JP)');
      const allowed = await via({ header: header('130.60.1.1'), operator });
      assert.ok(allowed !== 'closed' && allowed.returnCode === 0, 'allowed device (CH): CONNACK 0');
      assert.is(await listedAddress(`operator:${operator}`), '130.60.1.1', 'the policy saw the device');
      allowed.client.end(true);
    });
  }

test('TLS: a device certificate still names its sensor through the balancer, from an allowed address', async () => {
  const leaf = pki.leaf('dev-proxied', { cn: sensor, clientAuth: true });
  assert.is(code(await overTls({ header: proxyV2('130.60.1.1'), leaf })), 0, 'certificate alone, allowed device');
  assert.is(code(await overTls({ header: proxyV1('203.0.113.9'), leaf })), 5, 'same certificate, denied network');
});

for (const [listener, via] of LISTENERS)
  test(`${listener}: a header from an untrusted peer is refused; a trusted balancer must send one`, async () => {
    const operator = `${listener}-direct`.toLowerCase();
    for (const [version, header] of HEADERS)
      assert.is(await via({ header: header('130.60.1.1'), from: '127.0.0.2', operator }), 'closed', version);
    assert.is(code(await via({ from: '127.0.0.2', operator })), 0, 'untrusted peer without a header');
    assert.is(await via({ operator }), 'closed', 'trusted balancer without a header');
  });

test.run();
