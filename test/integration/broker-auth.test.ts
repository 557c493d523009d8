// Identities end to end on real Redis and anvil: passwordless login, sensor activation by
// transaction, the exact CONNACK code for every kind of bad token, and live sessions cut off on
// expiry, operator revocation and a chain block.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { services } from '../helpers/services.ts';
import { Market, fundedWallet, type Account } from '../helpers/market.ts';
import { closed, connectMqtt, end, testGateway, waitFor, TEST_SECRET } from '../helpers/gateway.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';

const svc = services();
let market: Market;
let gw: GatewayHandle;
let seller: Account;
let sensor: { sensor: string; txHash: string };
let sensorToken: string;
let url: string;
let api: string;

async function post(
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function login(a: {
  wallet: { address: string; signMessage(m: string): Promise<string> };
}): Promise<{ status: number; json: Record<string, unknown> }> {
  const ch = await post('/v1/auth/challenge', { address: a.wallet.address });
  assert.is(ch.status, 200);
  const signature = await a.wallet.signMessage(ch.json.message as string);
  return post('/v1/auth/login', { nonce: ch.json.nonce, signature });
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  // A self-signed certificate for the TLS listener.
  const dir = mkdtempSync(join(tmpdir(), 'itrade-tls-'));
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
  const tls = { enabled: true, host: '127.0.0.1', port: 0, certFile, keyFile };
  gw = await testGateway({
    marketplace: market.address,
    fromBlock: market.deployBlock,
    broker: { listeners: { tls } },
  });
  url = `mqtt://127.0.0.1:${gw.mqtt.tcp}`;
  api = `http://127.0.0.1:${gw.httpPort}`;
  seller = await market.principal('seller');
  sensor = await market.sensor(seller);
});

test.after(async () => {
  await gw.close();
  market.close();
});

test('login: a signed challenge returns a principal token; the nonce works once', async () => {
  const ch = await post('/v1/auth/challenge', { address: seller.wallet.address });
  assert.match(ch.json.message as string, /wants you to sign in with your Ethereum account/);
  const signature = await seller.wallet.signMessage(ch.json.message as string);
  const ok = await post('/v1/auth/login', { nonce: ch.json.nonce, signature });
  assert.is(ok.status, 200);
  assert.is(ok.json.principal, seller.principal);
  const again = await post('/v1/auth/login', { nonce: ch.json.nonce, signature });
  assert.is(again.status, 401);
  assert.is((again.json.error as { code: string }).code, 'ITRADE_ERR_AUTH_CHALLENGE_INVALID');
});

test('login: another account signing, and an account without principal, are refused', async () => {
  const ch = await post('/v1/auth/challenge', { address: seller.wallet.address });
  const stranger = await fundedWallet(market.provider);
  const forged = await post('/v1/auth/login', {
    nonce: ch.json.nonce,
    signature: await stranger.signMessage(ch.json.message as string),
  });
  assert.is(forged.status, 401);
  assert.is((forged.json.error as { code: string }).code, 'ITRADE_ERR_AUTH_SIGNATURE_INVALID');
  const none = await login({ wallet: stranger });
  assert.is(none.status, 403);
  assert.is((none.json.error as { code: string }).code, 'ITRADE_ERR_AUTH_NOT_PRINCIPAL');
  const bad = await post('/v1/auth/challenge', { address: 'nope' });
  assert.is(bad.status, 400);
});

test('activation: the owner gets a sensor token for its registration tx; others, inactive sensors do not', async () => {
  const sellerToken = (await login(seller)).json.token as string;
  const ok = await post('/v1/sensors/activate', { txHash: sensor.txHash }, sellerToken);
  assert.is(ok.status, 200);
  assert.is(ok.json.sensor, sensor.sensor);
  sensorToken = ok.json.token as string;

  const other = await market.principal('other');
  const otherToken = (await login(other)).json.token as string;
  const theft = await post('/v1/sensors/activate', { txHash: sensor.txHash }, otherToken);
  assert.is(theft.status, 422);
  const idle = await market.sensor(seller, false);
  const inactive = await post('/v1/sensors/activate', { txHash: idle.txHash }, sellerToken);
  assert.is(inactive.status, 422);
  const anon = await post('/v1/sensors/activate', { txHash: sensor.txHash });
  assert.is(anon.status, 401);
});

test('CONNECT: valid sensor and principal tokens get 0', async () => {
  const dev = await connectMqtt(url, { clientId: sensor.sensor, username: sensor.sensor, password: sensorToken });
  assert.is(dev.returnCode, 0);
  const p = await gw.tokens.issuePrincipal(seller.principal, seller.wallet.address, 600);
  const buyer = await connectMqtt(url, {
    clientId: `${seller.principal}:laptop`,
    username: seller.principal,
    password: p.token,
  });
  assert.is(buyer.returnCode, 0);
  await end(dev.client, buyer.client);
});

test('CONNECT with a last will gets 5 (not authorised): the gateway publishes no will', async () => {
  const will = { topic: `sensors/${sensor.sensor}`, payload: Buffer.from('gone'), qos: 1 as const, retain: false };
  const dev = await connectMqtt(url, { clientId: sensor.sensor, username: sensor.sensor, password: sensorToken, will });
  assert.is(dev.returnCode, 5);
  const again = await connectMqtt(url, { clientId: sensor.sensor, username: sensor.sensor, password: sensorToken });
  assert.is(again.returnCode, 0, 'the same client without a will is welcome');
  await end(dev.client, again.client);
});

test('CONNECT: every bad token gets 4, a foreign client id 2', async () => {
  const s = sensor.sensor;
  const claims = { kind: 'sensor', prn: seller.principal };
  const sign = (secret: string, exp: number, extra: object = {}) =>
    new SignJWT({ ...claims, ...extra })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('itrade-gateway')
      .setAudience('itrade')
      .setSubject(s)
      .setJti('j1')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
  const now = Math.floor(Date.now() / 1000);
  const other = await market.sensor(seller);
  const otherToken = (await gw.tokens.issueSensor(other.sensor, seller.principal, 600)).token;
  const [h, , sig] = sensorToken.split('.');
  const forged = {
    ...claims,
    sub: other.sensor,
    iss: 'itrade-gateway',
    aud: 'itrade',
    jti: 'x',
    iat: now,
    exp: now + 600,
  };
  const tampered = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`;
  const cases: [string, string | undefined, string][] = [
    ['no password', undefined, s],
    ['wrong key', await sign('another-secret-of-at-least-32-bytes!!', now + 600), s],
    [
      'alg none',
      new UnsecuredJWT({ ...claims })
        .setIssuer('itrade-gateway')
        .setAudience('itrade')
        .setSubject(s)
        .setJti('j2')
        .setIssuedAt()
        .setExpirationTime(now + 600)
        .encode(),
      s,
    ],
    ['expired', await sign(TEST_SECRET, now - 10), s],
    ["another sensor's token", otherToken, s],
    ['tampered claims', tampered, other.sensor],
  ];
  for (const [what, password, username] of cases) {
    const r = await connectMqtt(url, { clientId: username, username, password });
    assert.is(r.returnCode, 4, what);
    await end(r.client);
  }
  const foreignId = await connectMqtt(url, { clientId: other.sensor, username: s, password: sensorToken });
  assert.is(foreignId.returnCode, 2);
  await end(foreignId.client);
});

test('CONNECT over WebSocket and TLS follows the same rules', async () => {
  for (const u of [`ws://127.0.0.1:${gw.mqtt.ws}/mqtt`, `mqtts://127.0.0.1:${gw.mqtt.tls}`]) {
    const ok = await connectMqtt(u, {
      clientId: sensor.sensor,
      username: sensor.sensor,
      password: sensorToken,
      rejectUnauthorized: false,
    });
    assert.is(ok.returnCode, 0, u);
    await end(ok.client);
    const bad = await connectMqtt(u, {
      clientId: sensor.sensor,
      username: sensor.sensor,
      password: 'not-a-jwt',
      rejectUnauthorized: false,
    });
    assert.is(bad.returnCode, 4, u);
    await end(bad.client);
  }
});

test('a live session is cut when its token expires', async () => {
  const p = await gw.tokens.issuePrincipal(seller.principal, seller.wallet.address, 2);
  const c = await connectMqtt(url, { clientId: seller.principal, username: seller.principal, password: p.token });
  assert.is(c.returnCode, 0);
  await waitFor('disconnect at exp', () => !c.client.connected);
  await end(c.client);
});

test('operator revocation cuts the live session and refuses the token afterwards (4)', async () => {
  const op = await gw.tokens.issueOperator('ops', 600);
  const p = await gw.tokens.issuePrincipal(seller.principal, seller.wallet.address, 600);
  const c = await connectMqtt(url, { clientId: seller.principal, username: seller.principal, password: p.token });
  assert.is(c.returnCode, 0);
  const gone = closed(c.client);
  const r = await post('/v1/admin/revoke', { jti: p.jti, exp: p.expiresAt }, op.token);
  assert.is(r.status, 200);
  await gone;
  const again = await connectMqtt(url, { clientId: seller.principal, username: seller.principal, password: p.token });
  assert.is(again.returnCode, 4);
  const notOp = await post(
    '/v1/admin/revoke',
    { jti: p.jti },
    (await gw.tokens.issuePrincipal(seller.principal, seller.wallet.address, 60)).token,
  );
  assert.is(notOp.status, 403);
  await end(c.client, again.client);
});

test('a block on chain cuts the live device; it is then refused with 5', async () => {
  const s = await market.sensor(seller);
  const token = (await gw.tokens.issueSensor(s.sensor, seller.principal, 600)).token;
  const dev = await connectMqtt(url, { clientId: s.sensor, username: s.sensor, password: token });
  assert.is(dev.returnCode, 0);
  const gone = closed(dev.client);
  await market.block(s.sensor);
  await gone;
  const again = await connectMqtt(url, { clientId: s.sensor, username: s.sensor, password: token });
  assert.is(again.returnCode, 5);
  await end(dev.client, again.client);
});

test('deactivating a sensor cuts its device too', async () => {
  const s = await market.sensor(seller);
  const token = (await gw.tokens.issueSensor(s.sensor, seller.principal, 600)).token;
  const dev = await connectMqtt(url, { clientId: s.sensor, username: s.sensor, password: token });
  assert.is(dev.returnCode, 0);
  const gone = closed(dev.client);
  await market.deactivate(seller, s.sensor);
  await gone;
  await end(dev.client);
});

test.run();
