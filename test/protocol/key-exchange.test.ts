import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  coverageStartMs,
  keyPeriodCovered,
  parseAgentKeyReply,
  parseAgentKeyRequest,
  parseBuyerKeyReply,
  parseBuyerKeyRequest,
} from '../../protocol/key-exchange.ts';
import {
  buyerKeyReplyTopic,
  buyerKeyRequestTopic,
  isKeyRequestId,
  sellerKeyReplyTopic,
  sellerKeyRequestTopic,
  sellerOfKeyReplyTopic,
} from '../../protocol/topics.ts';
import { isItradeError } from '../../protocol/errors.ts';

const S = `0x${'1'.repeat(40)}`;
const B = `0x${'B'.repeat(40)}`;
const j = (v: unknown) => Buffer.from(JSON.stringify(v));

function refuses(fn: () => unknown, field: string): void {
  try {
    fn();
    assert.unreachable(`accepted; expected a complaint about ${field}`);
  } catch (err) {
    assert.ok(isItradeError(err, 'CRYPTO_KEY_REQUEST_INVALID'), String(err));
    assert.match((err as Error).message, `"${field}"`);
  }
}

test('topics of the key exchange', () => {
  assert.is(buyerKeyRequestTopic(B), `buyers/${B.toLowerCase()}/keys/request`);
  assert.is(buyerKeyReplyTopic(B, 'r1'), `buyers/${B.toLowerCase()}/keys/r1`);
  assert.is(sellerKeyRequestTopic(S), `sellers/${S}/keys/requests`);
  assert.is(sellerKeyReplyTopic(S), `sellers/${S}/keys/replies`);
  assert.is(sellerOfKeyReplyTopic(`sellers/${S}/keys/replies`), S);
  assert.is(sellerOfKeyReplyTopic(`sellers/${S}/keys/requests`), undefined);
  assert.is(sellerOfKeyReplyTopic(`sellers/+/keys/replies`), undefined);
});

test('a request id is one safe topic level, and never "request"', () => {
  for (const ok of ['r1', 'A-b_9', 'x'.repeat(64)]) assert.ok(isKeyRequestId(ok), ok);
  for (const bad of ['', 'request', 'a/b', '+', '#', 'a b', 'x'.repeat(65)]) assert.not.ok(isKeyRequestId(bad), bad);
});

test('buyer requests: key id or "current"; addresses lower-cased; every bad field named', () => {
  assert.equal(parseBuyerKeyRequest(j({ id: 'r1', sensor: S.toUpperCase().replace('0X', '0x'), keyId: 'current' })), {
    id: 'r1',
    sensor: S,
    keyId: 'current',
  });
  assert.equal(parseBuyerKeyRequest(j({ id: 'r1', sensor: S, keyId: 7 })).keyId, 7);
  refuses(() => parseBuyerKeyRequest(j({ id: 'request', sensor: S, keyId: 1 })), 'id');
  refuses(() => parseBuyerKeyRequest(j({ id: 'r', sensor: '0x12', keyId: 1 })), 'sensor');
  refuses(() => parseBuyerKeyRequest(j({ id: 'r', sensor: S, keyId: 0 })), 'keyId');
  refuses(() => parseBuyerKeyRequest(j({ id: 'r', sensor: S, keyId: 'latest' })), 'keyId');
  refuses(() => parseBuyerKeyRequest(Buffer.from('nope')), '(root)');
  refuses(() => parseBuyerKeyRequest(j([1])), '(root)');
  refuses(() => parseBuyerKeyRequest(Buffer.alloc(20_000, 0x20)), '(root)');
});

test('agent requests and replies', () => {
  const req = {
    id: 'g',
    sensor: S,
    keyId: 2,
    buyer: B,
    rsaPublicKey: '-----BEGIN PUBLIC KEY-----\n...',
    notBeforeMs: 5,
  };
  assert.equal(parseAgentKeyRequest(j(req)), { ...req, buyer: B.toLowerCase() });
  refuses(() => parseAgentKeyRequest(j({ ...req, rsaPublicKey: 'x' })), 'rsaPublicKey');
  refuses(() => parseAgentKeyRequest(j({ ...req, notBeforeMs: -1 })), 'notBeforeMs');
  const grant = { id: 'g', sensor: S, keyId: 2, sinceMs: 1, untilMs: null, wrapped: 'AAAA', signature: 'BBBB' };
  assert.equal(parseAgentKeyReply(j(grant)), grant);
  refuses(() => parseAgentKeyReply(j({ ...grant, keyId: 'current' })), 'keyId');
  refuses(() => parseAgentKeyReply(j({ ...grant, wrapped: 'not base64!' })), 'wrapped');
  refuses(() => parseAgentKeyReply(j({ ...grant, untilMs: 'never' })), 'untilMs');
  const err = { id: 'g', error: { code: 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID', message: 'no key 9' } };
  assert.equal(parseAgentKeyReply(j(err)), err);
  refuses(() => parseAgentKeyReply(j({ id: 'g', error: { code: 'EVIL', message: '' } })), 'error.code');
  assert.equal(parseBuyerKeyReply(j({ ...err, sensor: S })), { ...err, sensor: S });
});

test('the rotation rule: a key counts when it was in effect at or after the subscription start', () => {
  const g = (startTimestamp: number) => ({ subscription: S, buyer: B, sensor: S, startTimestamp, dataEntries: 1 });
  assert.is(coverageStartMs([g(30), g(10), g(20)]), 10_000);
  assert.ok(keyPeriodCovered({ untilMs: null }, 10_000), 'the current key');
  assert.ok(keyPeriodCovered({ untilMs: 10_001 }, 10_000), 'retired just after the start');
  assert.not.ok(keyPeriodCovered({ untilMs: 10_000 }, 10_000), 'retired exactly at the start');
  assert.not.ok(keyPeriodCovered({ untilMs: 5_000 }, 10_000), 'retired before');
});

test.run();
