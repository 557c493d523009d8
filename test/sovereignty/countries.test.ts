// The offline country database (sovereignty/countries.ts) on addresses whose country is stable:
// public resolvers and university and registry networks, IPv4, IPv6 and IPv4-mapped IPv6; private
// and loopback addresses are in no country. And the network policy's country rules on a fixed lookup.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CountryDb } from '../../sovereignty/countries.ts';
import { NetworkPolicy } from '../../sovereignty/network.ts';
import { isItradeError } from '../../protocol/errors.ts';

const db = CountryDb.load();

test('known addresses give their country; private ones none', () => {
  const cases: [string, string | undefined][] = [
    ['8.8.8.8', 'US'],
    ['130.60.1.1', 'CH'], // University of Zurich (SWITCH)
    ['81.169.145.1', 'DE'],
    ['202.12.27.33', 'JP'],
    ['2001:620::1', 'CH'], // SWITCH
    ['2001:4860:4860::8888', 'US'],
    ['::ffff:130.60.1.1', 'CH'],
    ['127.0.0.1', undefined],
    ['10.1.2.3', undefined],
    ['::1', undefined],
    ['not-an-ip', undefined],
  ];
  for (const [address, country] of cases) assert.is(db.country(address), country, address);
});

test('the database says what it is and how old', () => {
  assert.is(db.info.source, '@ip-location-db/geo-whois-asn-country');
  assert.match(db.info.date, /^20\d{2}-\d{2}-\d{2}$/);
  assert.equal(CountryDb.describe(), db.info);
});

const lookup = { country: (a: string) => ({ '192.0.2.1': 'CH', '192.0.2.2': 'DE', '192.0.2.3': 'US' })[a] };
const policy = (countries: { allow: string[]; deny: string[] }, allow: string[] = [], deny: string[] = []) =>
  new NetworkPolicy({ allow, deny, trustedProxies: [], countries }, 'sovereignty', lookup);

test('country rules: deny wins, allowed countries or allowed networks pass, no country fails closed', () => {
  const p = policy({ allow: ['CH', 'US'], deny: ['US'] }, ['10.0.0.0/8']);
  assert.ok(p.restricted && p.byCountry);
  assert.ok(p.allows('192.0.2.1'), 'CH allowed');
  assert.not.ok(p.allows('192.0.2.2'), 'DE not allowed');
  assert.not.ok(p.allows('192.0.2.3'), 'US denied, deny wins');
  assert.ok(p.allows('10.1.1.1'), 'no country, but an allowed network');
  assert.not.ok(p.allows('192.0.2.9'), 'no country, no allowed network');
  const denyOnly = policy({ allow: [], deny: ['DE'] });
  assert.ok(denyOnly.allows('192.0.2.1') && denyOnly.allows('192.0.2.9'));
  assert.not.ok(denyOnly.allows('192.0.2.2'));
  assert.not.ok(policy({ allow: [], deny: ['DE'] }, [], ['192.0.2.1/32']).allows('192.0.2.1'), 'network deny');
});

test('countries without a database are a configuration error naming the key', () => {
  try {
    new NetworkPolicy({ allow: [], deny: [], trustedProxies: [], countries: { allow: ['CH'], deny: [] } });
    assert.unreachable('accepted');
  } catch (err) {
    assert.ok(isItradeError(err, 'CONFIG_INVALID'));
    assert.match((err as Error).message, 'sovereignty.countries');
  }
});

test.run();
