// The operator's admin API on real gateways: two instances sharing one Redis, a device on one and
// a persistent buyer session on the other. The client list shows both from either instance, with
// identity, instance, address, connection time and subscriptions; a disconnect sent to one
// instance closes a client of the other; the persistent session stays listed offline with its
// subscription; an instance that stops leaves the list. `itrade admin ...` does the same.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../cli/main.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import type { ClientRecord, StoredSession } from '../../interfaces/admin.ts';
import { closed, connectMqtt, end, subscribeAck, testConfig, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
let market: Market;
let seller: Account;
let buyer: Account;
let sensor: string;
let keyPrefix: string;
let a: GatewayHandle;
let b: GatewayHandle;
let op: string;

async function call(
  gw: GatewayHandle,
  method: 'GET' | 'POST',
  path: string,
  o: { body?: unknown; token?: string | null } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = o.token === undefined ? op : o.token;
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method,
    headers: {
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function clients(gw: GatewayHandle): Promise<ClientRecord[]> {
  const r = await call(gw, 'GET', '/v1/admin/clients');
  assert.is(r.status, 200, JSON.stringify(r.json));
  return r.json.clients as ClientRecord[];
}

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Polls an async check every 50 ms until it gives a value (the lists are written soon after a change). */
async function poll<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const buyerId = () => `${buyer.principal}:persistent`;
const gatewayOpts = () => ({ marketplace: market.address, fromBlock: market.deployBlock, keyPrefix });

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  keyPrefix = `${unique('admin')}:`;
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  sensor = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, sensor, 100);
  a = await testGateway(gatewayOpts());
  b = await testGateway(gatewayOpts());
  op = (await a.tokens.issueOperator('ops', 600)).token;
});

test.after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  market?.close();
});

test('clients of every instance, with identity, instance, address, since and subscriptions', async () => {
  const t0 = Date.now();
  const devToken = (await a.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const dev = await connectMqtt(`mqtt://127.0.0.1:${a.mqtt.tcp}`, {
    clientId: sensor,
    username: sensor,
    password: devToken,
  });
  assert.is(dev.returnCode, 0);
  const buyerToken = (await b.tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const buy = await connectMqtt(`mqtt://127.0.0.1:${b.mqtt.tcp}`, {
    clientId: buyerId(),
    username: buyer.principal,
    password: buyerToken,
    clean: false,
  });
  assert.is(buy.returnCode, 0);
  assert.equal(await subscribeAck(buy.client, [`sensors/${sensor}`]), [1]);
  // Each instance writes its list soon after a change: wait until both lists show it.
  const both = await poll('both clients listed, from instance b', async () => {
    const l = await clients(b);
    const d = l.find((c) => c.clientId === sensor);
    const u = l.find((c) => c.clientId === buyerId());
    return d && u && u.subscriptions.length === 1 ? { d, u } : undefined;
  });
  assert.equal(both.d.identity, { kind: 'sensor', sub: sensor });
  assert.is(both.d.instance, a.broker.aedes.id);
  assert.is(both.d.address, '127.0.0.1');
  assert.equal(both.d.subscriptions, []);
  const since = Date.parse(both.d.connectedSince);
  assert.ok(since >= t0 - 1000 && since <= Date.now(), both.d.connectedSince);
  assert.equal(both.u.identity, { kind: 'principal', sub: buyer.principal });
  assert.is(both.u.instance, b.broker.aedes.id);
  assert.equal(both.u.subscriptions, [`sensors/${sensor}`]);
  assert.equal(
    (await clients(a)).map((c) => c.clientId).sort(),
    [sensor, buyerId()].sort(),
    'instance a lists the same clients',
  );

  // Only an operator token opens it.
  assert.is((await call(a, 'GET', '/v1/admin/clients', { token: null })).status, 401);
  assert.is((await call(a, 'GET', '/v1/admin/sessions', { token: buyerToken })).status, 403);

  // A disconnect asked of instance a closes the buyer on instance b.
  const gone = closed(buy.client);
  const r = await call(a, 'POST', '/v1/admin/disconnect', { body: { clientId: buyerId() } });
  assert.is(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.disconnected, { clientId: buyerId(), instance: b.broker.aedes.id });
  await gone;
  const unknown = await call(a, 'POST', '/v1/admin/disconnect', { body: { clientId: 'nobody-here' } });
  assert.is(unknown.status, 404);
  assert.is((unknown.json.error as { code: string }).code, 'ITRADE_ERR_ADMIN_CLIENT_UNKNOWN');
  const bad = await call(a, 'POST', '/v1/admin/disconnect', { body: { client: 'x' } });
  assert.is(bad.status, 400);

  // Its persistent session stays in Redis, now offline, with its subscription.
  const stored = await poll('the buyer session listed offline', async () => {
    const s = await call(a, 'GET', '/v1/admin/sessions');
    assert.is(s.status, 200, JSON.stringify(s.json));
    const mine = (s.json.sessions as StoredSession[]).find((x) => x.clientId === buyerId());
    return mine && !mine.online ? mine : undefined;
  });
  assert.equal(stored.subscriptions, [`sensors/${sensor}`]);
  assert.is(stored.queued, 0);
  await end(buy.client, dev.client);
});

test('itrade admin clients | disconnect | sessions | revoke against the running gateway', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'itrade-admin-')), 'itrade.json');
  writeFileSync(file, JSON.stringify(testConfig(gatewayOpts())));
  const api = `http://127.0.0.1:${a.httpPort}`;
  const p = await b.tokens.issuePrincipal(seller.principal, seller.wallet.address, 600);
  const c = await connectMqtt(`mqtt://127.0.0.1:${b.mqtt.tcp}`, {
    clientId: seller.principal,
    username: seller.principal,
    password: p.token,
  });
  assert.is(c.returnCode, 0);
  // No --token: the command makes an operator token from the configuration's secret.
  const listed = await poll('the seller listed by the CLI', async () => {
    const r = await cli('--config', file, 'admin', 'clients', '--api', api);
    assert.is(r.code, 0, r.err.join('\n'));
    return r.out.find((l) => l.startsWith(`${seller.principal}\t`));
  });
  assert.equal(listed.split('\t').slice(1, 4), [`principal:${seller.principal}`, b.broker.aedes.id, '127.0.0.1']);
  const sessions = await cli('--config', file, 'admin', 'sessions', '--api', api, '--json', '--token', op);
  assert.is(sessions.code, 0, sessions.err.join('\n'));
  assert.ok((JSON.parse(sessions.out.join('\n')) as { sessions: StoredSession[] }).sessions.length >= 1);

  const gone = closed(c.client);
  const d = await cli('--config', file, 'admin', 'disconnect', seller.principal, '--api', api);
  assert.is(d.code, 0, d.err.join('\n'));
  assert.equal(d.out, [`disconnected ${seller.principal} on ${b.broker.aedes.id}`]);
  await gone;
  const again = await cli('--config', file, 'admin', 'disconnect', 'nobody-here', '--api', api);
  assert.is(again.code === 0, false);
  assert.match(again.err.join('\n'), 'ITRADE_ERR_ADMIN_CLIENT_UNKNOWN');

  const rv = await cli('--config', file, 'admin', 'revoke', '--jti', p.jti, '--exp', String(p.expiresAt), '--api', api);
  assert.is(rv.code, 0, rv.err.join('\n'));
  const refused = await connectMqtt(`mqtt://127.0.0.1:${b.mqtt.tcp}`, {
    clientId: seller.principal,
    username: seller.principal,
    password: p.token,
  });
  assert.is(refused.returnCode, 4, 'the revoked token is refused');
  const both = await cli('--config', file, 'admin', 'revoke', '--api', api);
  assert.is(both.code === 0, false, 'revoke needs --jti or --subject');
  await end(c.client, refused.client);
});

test('an instance that stops leaves the client list', async () => {
  const c = await testGateway(gatewayOpts());
  const t = (await c.tokens.issuePrincipal(seller.principal, seller.wallet.address, 600)).token;
  const conn = await connectMqtt(`mqtt://127.0.0.1:${c.mqtt.tcp}`, {
    clientId: `${seller.principal}:c`,
    username: seller.principal,
    password: t,
  });
  assert.is(conn.returnCode, 0);
  const id = c.broker.aedes.id;
  await poll('listed', async () => (await clients(a)).some((x) => x.instance === id));
  await c.close();
  assert.is((await clients(a)).filter((x) => x.instance === id).length, 0, 'its entries are gone at shutdown');
  await end(conn.client);
});

test.run();
