// broker/proxy-protocol.ts on real PROXY headers, as HAProxy and cloud load balancers write them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProxyHeader } from '../../broker/proxy-protocol.ts';

const SIG = '0d0a0d0a000d0a515549540a';
const MQTT = Buffer.from([0x10, 0x00]);

test('v1 TCP4 and TCP6: the source address and where MQTT starts', () => {
  const h = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51000 1883\r\n');
  assert.equal(parseProxyHeader(Buffer.concat([h, MQTT])), { address: '203.0.113.7', length: h.length });
  const h6 = Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 51000 1883\r\n');
  assert.equal(parseProxyHeader(h6), { address: '2001:db8::7', length: h6.length });
  assert.equal(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { address: undefined, length: 15 });
});

test('v2 PROXY over TCP4 and TCP6, and LOCAL', () => {
  const v4 = Buffer.from(`${SIG}2111000ccb00710a0a000001c7380753`, 'hex');
  assert.equal(parseProxyHeader(Buffer.concat([v4, MQTT])), { address: '203.0.113.10', length: 28 });
  const src6 = '20010db8000000000000000000000007';
  const v6 = Buffer.from(`${SIG}21210024${src6}${'20010db8000000000000000000000001'}c7380753`, 'hex');
  assert.equal(parseProxyHeader(v6), { address: '2001:db8:0:0:0:0:0:7', length: 52 });
  assert.equal(parseProxyHeader(Buffer.from(`${SIG}20000000`, 'hex')), { address: undefined, length: 16 });
});

test('partial headers ask for more; MQTT without a header or a bad one is invalid', () => {
  assert.is(parseProxyHeader(Buffer.from('PROX')), 'more');
  assert.is(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7')), 'more');
  assert.is(parseProxyHeader(Buffer.from(`${SIG}2111000ccb0071`, 'hex')), 'more');
  assert.is(parseProxyHeader(MQTT), 'invalid');
  assert.is(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n')), 'invalid');
  assert.is(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)), 'invalid');
  assert.is(parseProxyHeader(Buffer.from(`${SIG}3111000c`, 'hex')), 'invalid');
});

test.run();
