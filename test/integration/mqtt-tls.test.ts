// The MQTT TLS listener with device client certificates (clientCerts: required), certificates
// made by the test: a device certificate of the gateway's device CA connects (CONNACK 0 with its
// token); one from another CA, an expired one, or none fails the TLS handshake before MQTT;
// minVersion TLSv1.3 refuses a TLS 1.2 client; a renewed server certificate is served to new
// connections while an open one keeps working.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { TestPki, type Leaf } from '../helpers/pki.ts';
import { connectMqtt, subscribeAck, testGateway } from '../helpers/gateway.ts';

const pki = new TestPki('itrade-device-ca');
const rogue = new TestPki('rogue-ca');
const served = { cert: join(pki.dir, 'served.crt'), key: join(pki.dir, 'served.key') };
let gw: GatewayHandle;

function serve(leaf: Leaf): void {
  copyFileSync(leaf.key, served.key);
  copyFileSync(leaf.cert, served.cert);
}

test.before(async () => {
  serve(pki.server('first'));
  const tls = {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    certFile: served.cert,
    keyFile: served.key,
    caFile: pki.ca.cert,
    clientCerts: 'required',
    minVersion: 'TLSv1.3',
    reloadCheckMs: 200,
  };
  gw = await testGateway({ broker: { listeners: { tls } } });
});

test.after(async () => {
  await gw?.close();
  pki.rm();
  rogue.rm();
});

function open(o: ConnectionOptions) {
  return tlsConnect({ host: '127.0.0.1', port: gw.mqtt.tls!, ca: pki.pem(pki.ca.cert), ...o });
}

/** The error that ends the TLS link. With TLS 1.3 the server's verdict on the client certificate
 * arrives after the client's handshake is done, as an alert or a close: both are waited for. */
function refusal(o: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = open(o);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the TLS link was not refused within 15 s'));
    }, 15_000);
    const done = (why: string) => {
      clearTimeout(timer);
      resolve(why);
    };
    s.on('data', () => undefined);
    s.once('error', (e) => done(e.message));
    s.once('close', () => done('closed by the server'));
  });
}

/** The serial of the certificate the listener serves now. */
function serverSerial(o: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = open(o);
    s.once('secureConnect', () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.destroy();
    });
    s.once('error', reject);
  });
}

function device(leaf: Leaf | undefined) {
  return leaf ? { cert: pki.pem(leaf.cert), key: pki.pem(leaf.key) } : {};
}

async function operatorOver(leaf: Leaf) {
  const { token } = await gw.tokens.issueOperator('tls', 600);
  return connectMqtt(`mqtts://127.0.0.1:${gw.mqtt.tls}`, {
    clientId: 'operator:tls',
    username: 'operator:tls',
    password: token,
    ca: pki.pem(pki.ca.cert),
    ...device(leaf),
  });
}

test('a device certificate of the device CA connects: CONNACK 0', async () => {
  const c = await operatorOver(pki.leaf('device-ok', { cn: 'device-1', clientAuth: true }));
  assert.is(c.returnCode, 0);
  c.client.end(true);
});

test('a certificate of another CA, an expired one or none fails the TLS handshake', async () => {
  const cases: [string, Leaf | undefined][] = [
    ['other CA', rogue.leaf('device-rogue', { cn: 'device-1', clientAuth: true })],
    ['expired', pki.leaf('device-old', { cn: 'device-1', clientAuth: true, days: -1 })],
    ['none', undefined],
  ];
  for (const [what, leaf] of cases) {
    const why = await refusal(device(leaf));
    assert.match(why, /certificate|closed|ECONNRESET|alert/i, `${what}: ${why}`);
  }
});

test('minVersion TLSv1.3 refuses a TLS 1.2 client', async () => {
  const leaf = pki.leaf('device-12', { cn: 'd', clientAuth: true });
  assert.match(await refusal({ ...device(leaf), maxVersion: 'TLSv1.2' }), /version|alert/i);
});

test('a renewed server certificate reaches new connections; an open one stays up', async () => {
  const leaf = pki.leaf('device-reload', { cn: 'device-1', clientAuth: true });
  const old = await operatorOver(leaf);
  assert.is(old.returnCode, 0);
  let closed = false;
  old.client.on('close', () => (closed = true));
  const before = await serverSerial(device(leaf));
  serve(pki.server('renewed'));
  let after = before;
  for (const t0 = Date.now(); after === before && Date.now() - t0 < 30_000;) {
    await new Promise((r) => setTimeout(r, 100));
    after = await serverSerial(device(leaf));
  }
  assert.not.equal(after, before, 'the renewed certificate was not served within 30 s');
  assert.equal((await subscribeAck(old.client, ['$SYS/x'])).length, 1);
  assert.is(closed, false);
  old.client.end(true);
});

test.run();
