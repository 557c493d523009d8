import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkPolicy, rateKey } from '../../sovereignty/network.ts';
import { isItradeError } from '../../protocol/errors.ts';

const policy = (allow: string[], deny: string[], trustedProxies: string[] = []) =>
  new NetworkPolicy({ allow, deny, trustedProxies });

test('no rules: every address passes, unknown ones too', () => {
  const p = policy([], []);
  assert.not.ok(p.restricted);
  assert.ok(p.allows('203.0.113.9'));
  assert.ok(p.allows(undefined));
});

test('deny wins over allow; an empty allow list allows the rest', () => {
  const p = policy(['10.0.0.0/8'], ['10.1.0.0/16']);
  assert.ok(p.allows('10.2.3.4'));
  assert.not.ok(p.allows('10.1.3.4'));
  assert.not.ok(p.allows('192.0.2.1'), 'not in allow');
  const denyOnly = policy([], ['127.0.0.2/32']);
  assert.ok(denyOnly.allows('127.0.0.1'));
  assert.not.ok(denyOnly.allows('127.0.0.2'));
});

test('IPv6 networks, bare addresses, and IPv4-mapped IPv6 clients', () => {
  const p = policy([], ['2001:db8::/32', '192.0.2.7']);
  assert.not.ok(p.allows('2001:db8:1::5'));
  assert.ok(p.allows('2001:db9::5'));
  assert.not.ok(p.allows('192.0.2.7'));
  assert.ok(p.allows('192.0.2.8'), 'a bare address is one host');
  assert.not.ok(p.allows(p.clientAddress('::ffff:192.0.2.7')), 'dual-stack listeners report IPv4 clients mapped');
});

test('with rules set, an unknown or non-IP address fails closed', () => {
  const p = policy([], ['10.0.0.0/8']);
  assert.not.ok(p.allows(undefined));
  assert.not.ok(p.allows('not-an-ip'));
});

test('a rule that is not a network is a configuration error naming the key', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fe80::/129', '10.0.0.0/8/1', 'localhost']) {
    try {
      policy([], ['10.0.0.0/8', bad]);
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.ok(isItradeError(err, 'CONFIG_INVALID'), String(err));
      assert.match((err as Error).message, /^sovereignty\.deny\[1\]: must be an IPv4 or IPv6 network in CIDR notation/);
    }
  }
});

test('X-Forwarded-For counts only behind a trusted proxy, right-most untrusted hop first', () => {
  const p = policy([], ['198.51.100.0/24'], ['10.0.0.0/8']);
  // The peer is not a proxy: the header is the client's own claim and is ignored.
  assert.is(p.clientAddress('203.0.113.5', '198.51.100.1'), '203.0.113.5');
  // Behind the proxy: the hop the proxy saw, not what the client wrote before it.
  assert.is(p.clientAddress('10.0.0.2', '192.0.2.1, 198.51.100.1'), '198.51.100.1');
  assert.is(p.clientAddress('10.0.0.2', '198.51.100.1, 10.0.0.9'), '198.51.100.1', 'a chain of trusted proxies');
  assert.is(p.clientAddress('10.0.0.2', ['10.0.0.8', '10.0.0.9']), '10.0.0.8', 'all hops trusted: the left-most');
  assert.is(p.clientAddress('10.0.0.2', undefined), '10.0.0.2');
  assert.is(policy([], []).clientAddress('10.0.0.2', '198.51.100.1'), '10.0.0.2', 'no trusted proxies: never read');
});

test('rate keys: IPv4 per address, IPv6 per /64', () => {
  assert.is(rateKey('192.0.2.1'), '192.0.2.1');
  assert.is(rateKey('2001:db8:a:b:1::2'), '2001:db8:a:b::/64');
  assert.is(rateKey('2001:0db8:000a:000b:ffff::'), '2001:db8:a:b::/64');
  assert.is(rateKey('::1'), '0:0:0:0::/64');
  assert.is(rateKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.is(rateKey(undefined), 'unknown');
});

test.run();
