// The public HTTP API of a running gateway (real Redis, Kafka and anvil) answering bad requests
// as a new user sends them, over a real socket: each refusal with its own status and code, and
// 503 CHAIN_UNAVAILABLE only when the chain really cannot be asked.
import { request } from 'node:http';
import { Wallet } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { freePort } from '../../stack/ports.ts';
import { testGateway } from '../helpers/gateway.ts';

let gw: GatewayHandle;
let api: string;

interface Answer {
  status: number;
  body: { error: { code: string; message: string } };
  headers: Record<string, string | string[] | undefined>;
}

/** One request over a real socket; resolves on the answer even if the server then cuts the upload off. */
function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${api}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'], headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };

test.before(async () => {
  gw = await testGateway();
  api = `http://127.0.0.1:${gw.httpPort}`;
});

test.after(async () => {
  await gw?.close();
});

test('a 2 MiB body to /v1/auth/challenge gets 413 ITRADE_ERR_HTTP_BODY_TOO_LARGE', async () => {
  const big = JSON.stringify({ address: Wallet.createRandom().address, pad: 'x'.repeat(2 * 1024 * 1024) });
  const r = await send('POST', '/v1/auth/challenge', big, json);
  assert.equal([r.status, r.body.error.code], [413, 'ITRADE_ERR_HTTP_BODY_TOO_LARGE']);
});

test('bad JSON gets 400 HTTP_BAD_JSON, a missing field 400 naming it', async () => {
  const bad = await send('POST', '/v1/auth/challenge', '{"address": 0x', json);
  assert.equal([bad.status, bad.body.error.code], [400, 'ITRADE_ERR_HTTP_BAD_JSON']);
  const missing = await send('POST', '/v1/auth/login', JSON.stringify({ nonce: 'a'.repeat(32) }), json);
  assert.equal([missing.status, missing.body.error.code], [400, 'ITRADE_ERR_BROKER_BAD_REQUEST']);
  assert.match(missing.body.error.message, /^signature: required/);
});

test('an unknown route gets 404, a known one with the wrong method 405', async () => {
  const nf = await send('GET', '/v1/auth');
  assert.equal([nf.status, nf.body.error.code], [404, 'ITRADE_ERR_HTTP_NOT_FOUND']);
  const na = await send('DELETE', '/v1/admin/revoke');
  assert.equal([na.status, na.body.error.code, na.headers.allow], [405, 'ITRADE_ERR_HTTP_METHOD_NOT_ALLOWED', 'POST']);
});

test('admin revoke: jti or subject, each checked by the schema after the operator token', async () => {
  const op = (await gw.tokens.issueOperator('ops', 60)).token;
  const auth = { ...json, authorization: `Bearer ${op}` };
  const neither = await send('POST', '/v1/admin/revoke', '{}', auth);
  assert.equal(
    [neither.status, neither.body.error.message],
    [400, 'body: give either jti (one token, exp optional) or subject (every token of one subject)'],
  );
  const both = await send('POST', '/v1/admin/revoke', JSON.stringify({ jti: 'a', subject: 'operator:x' }), auth);
  assert.is(both.status, 400);
  const subject = await send('POST', '/v1/admin/revoke', JSON.stringify({ subject: '0xABC' }), auth);
  assert.equal(
    [subject.status, subject.body.error.message],
    [400, 'subject: must be a lower-case address or operator:<name>'],
  );
  const ok = await send('POST', '/v1/admin/revoke', JSON.stringify({ jti: 'some-token-id' }), auth);
  assert.equal([ok.status, ok.body], [200, { revoked: { jti: 'some-token-id' } } as never]);
  const noToken = await send('POST', '/v1/admin/revoke', '{}', json);
  assert.equal([noToken.status, noToken.body.error.code], [401, 'ITRADE_ERR_AUTH_TOKEN_MISSING']);
});

test('the chain really down: login gets 503 CHAIN_UNAVAILABLE', async () => {
  const down = await testGateway({
    rpcUrl: `http://127.0.0.1:${await freePort()}`,
    marketplace: Wallet.createRandom().address.toLowerCase(),
  });
  try {
    const base = `http://127.0.0.1:${down.httpPort}`;
    const wallet = Wallet.createRandom();
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const ch = (await (await post('/v1/auth/challenge', { address: wallet.address })).json()) as Record<string, string>;
    const res = await post('/v1/auth/login', { nonce: ch.nonce, signature: await wallet.signMessage(ch.message!) });
    const body = (await res.json()) as Answer['body'];
    assert.equal([res.status, body.error.code], [503, 'ITRADE_ERR_CHAIN_UNAVAILABLE']);
  } finally {
    await down.close();
  }
});

test.run();
