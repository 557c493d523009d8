// The key exchange messages (JSON over MQTT, docs/key-exchange.md) and the key rotation rule,
// shared by the gateway's KeyService, the seller's key agent and the buyer's helper. Every parser
// throws CRYPTO_KEY_REQUEST_INVALID naming the field, so bad input gets a clear answer.
import { ERROR_CODE_PREFIX, looksLikeErrorCode } from './error-codes.ts';
import { itradeError } from './errors.ts';
import { isAddress, isKeyRequestId } from './topics.ts';
import { fromUtf8, utf8 } from './bytes.ts';

export const MAX_KEY_MESSAGE_BYTES = 16 * 1024;
const MAX_B64 = 2048; // a 4096-bit RSA block is 684 base64 characters
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type KeyIdSelector = number | 'current';

/** buyers/<buyer>/keys/request */
export interface BuyerKeyRequest {
  id: string;
  sensor: string;
  keyId: KeyIdSelector;
}

/** A sensor key wrapped for one buyer, with the period the key was in effect. */
export interface KeyGrant {
  sensor: string;
  keyId: number;
  sinceMs: number;
  untilMs: number | null;
  wrapped: string; // base64 RSA-OAEP ciphertext
  signature: string; // base64 RSASSA-PSS by the seller
}

export interface KeyErrorBody {
  code: string;
  message: string;
}

/** buyers/<buyer>/keys/<id>: the grant, or an error. */
export type BuyerKeyReply = ({ id: string } & KeyGrant) | { id: string; sensor?: string; error: KeyErrorBody };

/** sellers/<seller>/keys/requests */
export interface AgentKeyRequest {
  id: string;
  sensor: string;
  keyId: KeyIdSelector;
  buyer: string;
  rsaPublicKey: string;
  /** Start of the earliest valid subscription (ms): keys retired before it are refused. */
  notBeforeMs: number;
}

/** sellers/<seller>/keys/replies */
export type AgentKeyReply = ({ id: string } & KeyGrant) | { id: string; error: KeyErrorBody };

type Obj = Record<string, unknown>;

function bad(field: string, why: string): never {
  throw itradeError('CRYPTO_KEY_REQUEST_INVALID', `key exchange message: "${field}" ${why}`);
}

function parseObject(payload: Uint8Array): Obj {
  if (payload.length > MAX_KEY_MESSAGE_BYTES)
    bad('(root)', `is ${payload.length} bytes; at most ${MAX_KEY_MESSAGE_BYTES}`);
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(payload));
  } catch {
    bad('(root)', 'is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('(root)', 'is not a JSON object');
  return v as Obj;
}

function id(o: Obj): string {
  if (typeof o.id !== 'string' || !isKeyRequestId(o.id))
    bad('id', 'must be 1-64 characters of A-Z a-z 0-9 _ - (and not "request")');
  return o.id;
}

function address(o: Obj, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || !isAddress(v.toLowerCase())) bad(field, 'must be a 0x-prefixed 20-byte hex address');
  return v.toLowerCase();
}

function keyIdOf(o: Obj, allowCurrent: boolean): number {
  const v = o.keyId;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffff_ffff) return v;
  bad(
    'keyId',
    allowCurrent ? 'must be an integer in 1..4294967295 or "current"' : 'must be an integer in 1..4294967295',
  );
}

function selector(o: Obj): KeyIdSelector {
  return o.keyId === 'current' ? 'current' : keyIdOf(o, true);
}

function ms(o: Obj, field: string, nullable = false): number | null {
  const v = o[field];
  if (nullable && v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    bad(field, `must be a non-negative integer (ms since the epoch)${nullable ? ' or null' : ''}`);
  return v;
}

function b64(o: Obj, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length > MAX_B64 || !B64.test(v))
    bad(field, `must be base64, at most ${MAX_B64} characters`);
  return v;
}

function errorBody(o: Obj): KeyErrorBody {
  const e = o.error as Obj;
  if (typeof e !== 'object' || e === null) bad('error', 'must be an object');
  if (typeof e.code !== 'string' || !looksLikeErrorCode(e.code))
    bad('error.code', `must be an ${ERROR_CODE_PREFIX} code`);
  if (typeof e.message !== 'string') bad('error.message', 'must be a string');
  return { code: e.code, message: e.message.slice(0, 500) };
}

function grant(o: Obj): KeyGrant {
  return {
    sensor: address(o, 'sensor'),
    keyId: keyIdOf(o, false),
    sinceMs: ms(o, 'sinceMs')!,
    untilMs: ms(o, 'untilMs', true),
    wrapped: b64(o, 'wrapped'),
    signature: b64(o, 'signature'),
  };
}

export function parseBuyerKeyRequest(payload: Uint8Array): BuyerKeyRequest {
  const o = parseObject(payload);
  return { id: id(o), sensor: address(o, 'sensor'), keyId: selector(o) };
}

export function parseBuyerKeyReply(payload: Uint8Array): BuyerKeyReply {
  const o = parseObject(payload);
  if ('error' in o)
    return { id: id(o), ...(typeof o.sensor === 'string' ? { sensor: o.sensor } : {}), error: errorBody(o) };
  return { id: id(o), ...grant(o) };
}

export function parseAgentKeyRequest(payload: Uint8Array): AgentKeyRequest {
  const o = parseObject(payload);
  const pem = o.rsaPublicKey;
  if (typeof pem !== 'string' || pem.length > 8192 || !pem.includes('-----BEGIN'))
    bad('rsaPublicKey', 'must be a PEM public key');
  return {
    id: id(o),
    sensor: address(o, 'sensor'),
    keyId: selector(o),
    buyer: address(o, 'buyer'),
    rsaPublicKey: pem,
    notBeforeMs: ms(o, 'notBeforeMs')!,
  };
}

export function parseAgentKeyReply(payload: Uint8Array): AgentKeyReply {
  const o = parseObject(payload);
  if ('error' in o) return { id: id(o), error: errorBody(o) };
  return { id: id(o), ...grant(o) };
}

export function encodeKeyMessage(m: BuyerKeyRequest | BuyerKeyReply | AgentKeyRequest | AgentKeyReply): Uint8Array {
  return utf8(JSON.stringify(m));
}

// --- the key rotation rule ---------------------------------------------------------------------
// A buyer may receive key K of sensor S when K was in effect at or after the start of one of its
// valid subscriptions to S: K.untilMs is null (K is current) or K.untilMs > start. Keys retired
// before every subscription started covered data the buyer never paid for. Whether the buyer is
// still entitled at all (valid on chain, entries left) is checked before this rule applies.

/** The earliest startTimestamp of the grants, in ms (the grants must not be empty). */
export function coverageStartMs(grants: readonly { startTimestamp: number }[]): number {
  return Math.min(...grants.map((g) => g.startTimestamp * 1000));
}

export function keyPeriodCovered(period: { untilMs: number | null }, notBeforeMs: number): boolean {
  return period.untilMs === null || period.untilMs > notBeforeMs;
}
