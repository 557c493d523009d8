// Device identity from the client certificate (broker.listeners.tls.certIdentity), with a device
// CA and certificates the test makes and sensors registered on a real chain. `either`: a valid
// device certificate (CN or SAN = the sensor address) connects without a token (CONNACK 0) or
// with its own token; a certificate for another sensor with this sensor's token is refused with 5
// (ITRADE_ERR_AUTH_CERT_MISMATCH), and so is a certificate naming a sensor the chain does not know.
// `both`: a sensor token without a certificate is refused with 5, with its certificate it connects.
import { Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { TestPki, type Leaf } from '../helpers/pki.ts';
import { connectMqtt, end, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const pki = new TestPki('itrade-device-ca');
let market: Market;
let seller: Account;
let sensor: string;
let other: string;
let either: GatewayHandle;
let both: GatewayHandle;

function tlsListener(certIdentity: string) {
  return { tls: pki.tlsListener(`server-${certIdentity}`, { certIdentity }) };
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  seller = await market.principal('seller');
  sensor = (await market.sensor(seller)).sensor;
  other = (await market.sensor(seller)).sensor;
  const at = { marketplace: market.address, fromBlock: market.deployBlock };
  either = await testGateway({ ...at, broker: { listeners: tlsListener('either') } });
  both = await testGateway({ ...at, broker: { listeners: tlsListener('both') } });
});

test.after(async () => {
  await Promise.all([either?.close(), both?.close()]);
  market?.close();
  pki.rm();
});

async function device(gw: GatewayHandle, o: { leaf?: Leaf; token?: boolean; id?: string }) {
  const id = o.id ?? sensor;
  const token = o.token ? (await gw.tokens.issueSensor(id, seller.principal, 600)).token : undefined;
  return connectMqtt(`mqtts://127.0.0.1:${gw.mqtt.tls}`, {
    clientId: id,
    ...(token ? { username: id, password: token } : {}),
    ca: pki.pem(pki.ca.cert),
    ...(o.leaf ? { cert: pki.pem(o.leaf.cert), key: pki.pem(o.leaf.key) } : {}),
  });
}

const certFor = (file: string, address: string, how: 'cn' | 'san' = 'cn') =>
  pki.leaf(
    file,
    how === 'cn' ? { cn: address, clientAuth: true } : { cn: 'device', san: `DNS:${address}`, clientAuth: true },
  );

test('either: a valid device certificate connects without a token (CN) and with its own token (SAN)', async () => {
  const byCn = await device(either, { leaf: certFor('dev-cn', sensor) });
  assert.is(byCn.returnCode, 0, 'certificate alone, CN');
  const bySan = await device(either, { leaf: certFor('dev-san', sensor, 'san'), token: true });
  assert.is(bySan.returnCode, 0, 'certificate (SAN) and token');
  await end(byCn.client, bySan.client);
});

test('either: a certificate for another sensor is refused with 5; so is one for an unknown sensor', async () => {
  const wrong = await device(either, { leaf: certFor('dev-other', other), token: true });
  assert.is(wrong.returnCode, 5, 'token of one sensor, certificate of another');
  const stranger = Wallet.createRandom().address.toLowerCase();
  const unknown = await device(either, { leaf: certFor('dev-unknown', stranger), id: stranger });
  assert.is(unknown.returnCode, 5, 'a sensor the chain does not know');
  const none = await device(either, {});
  assert.is(none.returnCode, 4, 'no certificate and no token: no credentials');
  await end(wrong.client, unknown.client, none.client);
});

test('both: a sensor token needs the certificate naming it', async () => {
  const tokenOnly = await device(both, { token: true });
  assert.is(tokenOnly.returnCode, 5);
  const withCert = await device(both, { leaf: certFor('dev-both', sensor), token: true });
  assert.is(withCert.returnCode, 0);
  const certOnly = await device(both, { leaf: certFor('dev-both-2', sensor) });
  assert.is(certOnly.returnCode, 4, 'both: the certificate alone is not enough');
  await end(tokenOnly.client, withCert.client, certOnly.client);
});

test.run();
