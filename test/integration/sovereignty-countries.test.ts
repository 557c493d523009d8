// Allow and deny by country behind a load balancer: the test plays the balancer at 127.0.0.1 (a
// trusted proxy) and sends real PROXY v1 and v2 headers carrying addresses of known countries
// (CH: 130.60.1.1, DE: 81.169.145.1, US: 8.8.8.8, JP: 202.12.27.33). With CH, DE and US allowed
// and US denied: CH and DE get CONNACK 0, US (deny wins) and JP (not allowed) CONNACK 5, and a
// private address (in no country) 5 too. The HTTP API judges the X-Forwarded-For hop the same
// way, and GET /v1/info shows the database's date.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { testGateway } from '../helpers/gateway.ts';
import { getFrom } from '../helpers/metrics.ts';
import { proxyV1 as v1, proxyV2 as v2, viaBalancer as connectViaBalancer } from '../helpers/proxy.ts';

let gw: GatewayHandle;
let token: string;
const ID = 'operator:lb';

test.before(async () => {
  gw = await testGateway({
    broker: { listeners: { tcp: { host: '127.0.0.1', port: 0, proxyProtocol: true } } },
    sovereignty: { trustedProxies: ['127.0.0.1'], countries: { allow: ['CH', 'DE', 'US'], deny: ['US'] } },
  });
  token = (await gw.tokens.issueOperator('lb', 600)).token;
});

test.after(async () => {
  await gw?.close();
});

const viaBalancer = (header: Buffer) =>
  connectViaBalancer(gw.mqtt.tcp!, header, { clientId: ID, username: ID, password: token });

const CASES: [string, string, number][] = [
  ['CH', '130.60.1.1', 0],
  ['DE', '81.169.145.1', 0],
  ['US (allowed and denied: deny wins)', '8.8.8.8', 5],
  ['JP (not allowed)', '202.12.27.33', 5],
  ['a private address (no country)', '10.1.2.3', 5],
];

for (const [name, header] of [
  ['v1', v1],
  ['v2', v2],
] as const) {
  test(`${name}: each country gets its CONNACK`, async () => {
    for (const [country, address, code] of CASES) {
      const c = await viaBalancer(header(address));
      assert.ok(c !== 'closed', `${country}: closed without CONNACK`);
      assert.is(c.returnCode, code, `${country} ${address}`);
      c.client.end(true);
    }
  });
}

test('HTTP API: the forwarded address is judged by country; /v1/info shows the database date', async () => {
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const ch = await getFrom(`${base}/v1/info`, '127.0.0.1', { 'x-forwarded-for': '130.60.1.1' });
  assert.is(ch.status, 200);
  const geoip = (JSON.parse(ch.body) as { geoip: { source: string; date: string; inUse: boolean } }).geoip;
  assert.is(geoip.source, '@ip-location-db/geo-whois-asn-country');
  assert.match(geoip.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(geoip.inUse);
  const us = await getFrom(`${base}/v1/health`, '127.0.0.1', { 'x-forwarded-for': '8.8.8.8' });
  assert.is(us.status, 403);
  assert.is((JSON.parse(us.body) as { error: { code: string } }).error.code, 'ITRADE_ERR_SOVEREIGNTY_DENIED');
  const jp = await getFrom(`${base}/v1/health`, '127.0.0.1', { 'x-forwarded-for': '202.12.27.33' });
  assert.is(jp.status, 403);
});

test.run();
