// The GraphQL API's sign-in, `me`, activation, limits and error codes on a real gateway: every
// refusal carries its ITRADE_ERR_ code in extensions.code and the REST API's HTTP status.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { testGateway } from '../helpers/gateway.ts';
import { gql, gqlData, indexed } from '../helpers/graphql.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const test = suite('graphql auth and limits');
let market: Market;
let gw: GatewayHandle;
let api: string;
let seller: Account;
let buyer: Account;
let sensor: { sensor: string; txHash: string };

test.before(async () => {
  market = await Market.deploy(services().rpcUrl);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock });
  api = `http://127.0.0.1:${gw.httpPort}`;
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  sensor = await market.sensor(seller);
  await market.subscribe(buyer, sensor.sensor, 7);
  await indexed(api, market.provider);
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

async function signIn(who: Account): Promise<string> {
  const { challenge } = await gqlData(api, 'mutation($a: Address!) { challenge(address: $a) { nonce message } }', {
    a: who.wallet.address,
  });
  const signature = await who.wallet.signMessage(challenge.message);
  const { login } = await gqlData(
    api,
    'mutation($n: String!, $s: String!) { login(nonce: $n, signature: $s) { token principal account expiresAt } }',
    { n: challenge.nonce, s: signature },
  );
  assert.equal([login.principal, login.account], [who.principal, who.wallet.address.toLowerCase()]);
  assert.ok(Date.parse(login.expiresAt) > Date.now());
  return login.token;
}

async function refused(query: string, variables: object, token: string | undefined, code: string, status: number) {
  const r = await gql(api, query, variables as Record<string, unknown>, token);
  assert.equal([r.status, r.errors?.[0]?.extensions.code], [status, `ITRADE_ERR_${code}`], JSON.stringify(r.errors));
  return r;
}

const ME = `{ me { address account pendingWithdrawal principal { name }
  subscriptions { sensor { address } subscriptions { dataEntries paid } entries { paid delivered left } keyIds } } }`;

test('a buyer signs in with the challenge and sees what it bought, entries paid and left', async () => {
  const token = await signIn(buyer);
  const { me } = await gqlData(api, ME, {}, token);
  assert.equal(me, {
    address: buyer.principal,
    account: buyer.wallet.address.toLowerCase(),
    pendingWithdrawal: '0',
    principal: { name: 'buyer' },
    subscriptions: [
      {
        sensor: { address: sensor.sensor },
        subscriptions: [{ dataEntries: 7, paid: '70' }],
        entries: { paid: 7, delivered: 0, left: 7 },
        keyIds: [],
      },
    ],
  });
  // The seller earned the price less 5 % commission.
  const s = await gqlData(
    api,
    '{ me { pendingWithdrawal sensors { totalCount nodes { address } } } }',
    {},
    await signIn(seller),
  );
  assert.equal(s.me, { pendingWithdrawal: '67', sensors: { totalCount: 1, nodes: [{ address: sensor.sensor }] } });
});

test('me without a token, with a bad one, with a sensor token; logout revokes the token', async () => {
  const r = await refused('{ me { address } }', {}, undefined, 'AUTH_TOKEN_MISSING', 401);
  assert.equal([r.data, r.errors![0]!.path], [null, ['me']]);
  await refused('{ me { address } }', {}, 'not-a-jwt', 'AUTH_TOKEN_INVALID', 401);
  const device = (await gw.tokens.issueSensor(sensor.sensor, seller.principal, 600)).token;
  await refused('{ me { address } }', {}, device, 'AUTH_NOT_AUTHORISED', 403);
  const token = await signIn(buyer);
  assert.equal(await gqlData(api, 'mutation { logout }', {}, token), { logout: true });
  await refused('{ me { address } }', {}, token, 'AUTH_TOKEN_REVOKED', 401);
  // me is non-null, so its failure nulls the whole answer: the request failed, with me's status.
  const mixed = await gql(api, '{ marketplace { commissionBps } me { address } }');
  assert.equal(
    [mixed.status, mixed.data, mixed.errors?.[0]?.extensions.code],
    [401, null, 'ITRADE_ERR_AUTH_TOKEN_MISSING'],
  );
});

test('login refusals: a wrong signature, a nonce used twice, an account without a principal', async () => {
  const q = 'mutation($a: Address!) { challenge(address: $a) { nonce message } }';
  const { challenge } = await gqlData(api, q, { a: buyer.wallet.address });
  const login = 'mutation($n: String!, $s: String!) { login(nonce: $n, signature: $s) { token } }';
  const wrong = await seller.wallet.signMessage(challenge.message);
  await refused(login, { n: challenge.nonce, s: wrong }, undefined, 'AUTH_SIGNATURE_INVALID', 401);
  await refused(login, { n: challenge.nonce, s: wrong }, undefined, 'AUTH_CHALLENGE_INVALID', 401);
  await refused(login, { n: 'xyz', s: wrong }, undefined, 'GRAPHQL_BAD_ARGUMENT', 400);
  const stranger = (await import('ethers')).Wallet.createRandom();
  const c2 = (await gqlData(api, q, { a: stranger.address })).challenge;
  const s2 = await stranger.signMessage(c2.message);
  await refused(login, { n: c2.nonce, s: s2 }, undefined, 'AUTH_NOT_PRINCIPAL', 403);
});

test("activateSensor gives the owner a device token; another principal's activation is refused", async () => {
  const q = 'mutation($t: String!) { activateSensor(txHash: $t) { token sensor principal topic expiresAt } }';
  const { activateSensor: a } = await gqlData(api, q, { t: sensor.txHash }, await signIn(seller));
  assert.equal([a.sensor, a.principal, a.topic], [sensor.sensor, seller.principal, `sensors/${sensor.sensor}`]);
  const id = await gw.tokens.verify(a.token);
  assert.equal([id.kind, id.sub], ['sensor', sensor.sensor]);
  await refused(q, { t: sensor.txHash }, await signIn(buyer), 'BROKER_ACTIVATION_REJECTED', 422);
  await refused(q, { t: sensor.txHash }, undefined, 'AUTH_TOKEN_MISSING', 401);
});

test('limits and bad requests: each with its code, nothing executed', async () => {
  await refused('{ sensors { nodes { nosuchfield } } }', {}, undefined, 'GRAPHQL_BAD_REQUEST', 400);
  await refused('{ sensors(', {}, undefined, 'GRAPHQL_BAD_REQUEST', 400);
  await refused(
    'query($a: Address!) { sensor(address: $a) { price } }',
    { a: '0x12' },
    undefined,
    'GRAPHQL_BAD_REQUEST',
    400,
  );
  await refused('{ sensors(filter: { minPrice: "-1" }) { totalCount } }', {}, undefined, 'GRAPHQL_BAD_REQUEST', 400);
  await refused('{ sensors(first: 1000) { totalCount } }', {}, undefined, 'GRAPHQL_BAD_ARGUMENT', 400);
  await refused('{ sensors(after: "bm9wZQ") { totalCount } }', {}, undefined, 'GRAPHQL_BAD_ARGUMENT', 400);
  const box = '{ sensors(filter: { within: { south: 10, west: 0, north: 5, east: 1 } }) { totalCount } }';
  await refused(box, {}, undefined, 'GRAPHQL_BAD_ARGUMENT', 400);
  const deep =
    '{ sensors { nodes { seller { sensors { nodes { seller { sensors { nodes { seller { name } } } } } } } } } }';
  await refused(deep, {}, undefined, 'GRAPHQL_TOO_DEEP', 400);
  const costly = '{ sensors(first: 100) { nodes { seller { sensors(first: 100) { nodes { address price } } } } } }';
  const r = await refused(costly, {}, undefined, 'GRAPHQL_TOO_COSTLY', 400);
  assert.match(r.errors![0]!.message, /costs \d+; at most 5000/);
  const get = await fetch(`${api}/graphql?query=${encodeURIComponent('mutation { logout }')}`);
  assert.equal(
    [get.status, ((await get.json()) as any).errors[0].extensions.code],
    [400, 'ITRADE_ERR_GRAPHQL_BAD_REQUEST'],
  );
  const ok = await fetch(`${api}/graphql?query=${encodeURIComponent('{ marketplace { commissionBps } }')}`);
  assert.equal(await ok.json(), { data: { marketplace: { commissionBps: 500 } } });
});

const denied = suite('graphql behind the network policy');
denied('a denied client network gets 403 SOVEREIGNTY_DENIED before GraphQL runs', async () => {
  const g = await testGateway({ marketplace: market.address, sovereignty: { deny: ['127.0.0.0/8'] } });
  try {
    const r = await fetch(`http://127.0.0.1:${g.httpPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ marketplace { commissionBps } }' }),
    });
    // The guard's refusal, in GraphQL's shape on this route.
    const body = (await r.json()) as any;
    assert.equal([r.status, body.data, body.errors[0].extensions.code], [403, null, 'ITRADE_ERR_SOVEREIGNTY_DENIED']);
  } finally {
    await g.close();
  }
});

test.run();
denied.run();
