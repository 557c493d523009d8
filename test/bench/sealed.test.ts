import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { makeCodec } from '../../bench/loadgen/codecs.ts';
import { decodeReading } from '../../sdk/crypto/reading.ts';
import { openEnvelope } from '../../sdk/crypto/envelope.ts';

const sensor = '0x' + 'ab'.repeat(20);
const key = randomBytes(32);
const codec = makeCodec({ kind: 'sealed', size: 0, keys: { 7: { keyHex: key.toString('hex'), keyId: 3, sensor } } });

test('sealed payloads are real envelopes any buyer opens (Web Crypto too), with the stamp inside', async () => {
  const env = codec.encode({ schedNs: 123456789012345n, device: 7, seq: 42 });
  const plain = await openEnvelope(env, sensor, (id) => (id === 3 ? key : undefined));
  assert.is(decodeReading(plain).seq, 42);
  assert.not.match(env.toString('latin1'), /123456789012345/, 'the stamp travels encrypted');
  assert.equal(codec.decode(`sensors/${sensor}`, env), { schedNs: 123456789012345n, device: 7, seq: 42 });
});

test('a tampered envelope does not decode', () => {
  const env = codec.encode({ schedNs: 1n, device: 7, seq: 1 });
  env[env.length - 1]! ^= 1;
  assert.throws(() => codec.decode(`sensors/${sensor}`, env), /does not authenticate/);
});

test.run();
