// The binary envelope a device publishes on sensors/<sensor>: one AES-256-GCM encryption of one
// reading under the sensor's current key. Layout (docs/envelope.md):
//
//   offset  size  field
//   0       1     version (0x01)
//   1       4     key id, unsigned big-endian
//   5       12    nonce, random per envelope      [NIST SP 800-38D 8.2.2]
//   17      n     ciphertext (n = plaintext length)
//   17+n    16    GCM tag                          [SP 800-38D 5.2.1.2: full 128-bit tag]
//
// The additional authenticated data is version ‖ key id ‖ the sensor's 20 address bytes, so a
// changed header, or an envelope replayed on another sensor's topic, fails authentication.
// Web Crypto (globalThis.crypto.subtle: Node.js >= 19 and every browser) does the AES-GCM; its
// output is ciphertext ‖ tag, which is exactly the envelope's tail.
import { itradeError } from '../../protocol/errors.ts';
import { isAddress } from '../../protocol/topics.ts';
import { concatBytes, fromHex, view } from '../../protocol/bytes.ts';
import { randomBytes, subtle, type CryptoKey } from './random.ts';

export const ENVELOPE_VERSION = 1;
export const KEY_LENGTH = 32; // AES-256
export const NONCE_LENGTH = 12; // 96-bit: the GCM default, no GHASH of the IV [SP 800-38D 8.2]
export const TAG_LENGTH = 16;
export const HEADER_LENGTH = 1 + 4 + NONCE_LENGTH; // 17
export const ENVELOPE_OVERHEAD = HEADER_LENGTH + TAG_LENGTH; // 33
export const MAX_KEY_ID = 0xffff_ffff;

export interface ParsedEnvelope {
  version: number;
  keyId: number;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

export interface SealInput {
  sensor: string;
  keyId: number;
  key: Uint8Array;
  plaintext: Uint8Array;
  /** Only for test vectors: a nonce must never repeat under one key, so leave it random. */
  nonce?: Uint8Array;
}

/** The 20 bytes of a 0x-hex address (any case). */
export function addressBytes(address: string): Uint8Array {
  const a = address.toLowerCase();
  if (!isAddress(a))
    throw itradeError('CRYPTO_ADDRESS_INVALID', `"${address}" is not a 0x-prefixed 20-byte hex address`);
  return fromHex(a.slice(2))!;
}

/** What GCM authenticates besides the ciphertext: version ‖ key id ‖ sensor address (25 bytes). */
export function envelopeAad(version: number, keyId: number, sensor: string): Uint8Array {
  const aad = new Uint8Array(25);
  view(aad).setUint8(0, version);
  view(aad).setUint32(1, keyId);
  aad.set(addressBytes(sensor), 5);
  return aad;
}

export function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_LENGTH)
    throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes, got ${key.length}`);
}

export function checkKeyId(keyId: number): void {
  if (!Number.isInteger(keyId) || keyId < 1 || keyId > MAX_KEY_ID) {
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `key id ${keyId} is not an integer in 1..${MAX_KEY_ID}`);
  }
}

// Nonces come from the CSPRNG in 4 KiB draws, one call per 341 envelopes instead of one per
// envelope: a load generator seals thousands a second. Each is still 96 random bits, used once.
const NONCE_POOL = 4096 - (4096 % NONCE_LENGTH);
let noncePool: Uint8Array = new Uint8Array(0);
let nonceAt = 0;

export function freshNonce(): Uint8Array {
  if (nonceAt + NONCE_LENGTH > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL);
    nonceAt = 0;
  }
  nonceAt += NONCE_LENGTH;
  return noncePool.slice(nonceAt - NONCE_LENGTH, nonceAt);
}

/** The 17-byte header; checks the key id and nonce. */
export function envelopeHeader(keyId: number, nonce: Uint8Array): Uint8Array {
  checkKeyId(keyId);
  if (nonce.length !== NONCE_LENGTH)
    throw itradeError('CRYPTO_ENVELOPE_MALFORMED', `a nonce has ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  const header = new Uint8Array(HEADER_LENGTH);
  view(header).setUint8(0, ENVELOPE_VERSION);
  view(header).setUint32(1, keyId);
  header.set(nonce, 5);
  return header;
}

// One imported AES key per key (a keyring's entries live long): importKey is not free.
const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function aesKey(key: Uint8Array): Promise<CryptoKey> {
  checkKey(key);
  const had = imported.get(key);
  if (had) return had;
  const k = subtle().importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  imported.set(key, k);
  return k;
}

export async function sealEnvelope(input: SealInput): Promise<Uint8Array> {
  const header = envelopeHeader(input.keyId, input.nonce ?? freshNonce());
  const sealed = await subtle().encrypt(
    {
      name: 'AES-GCM',
      iv: header.subarray(5) as Uint8Array<ArrayBuffer>,
      additionalData: envelopeAad(ENVELOPE_VERSION, input.keyId, input.sensor) as Uint8Array<ArrayBuffer>,
      tagLength: TAG_LENGTH * 8,
    },
    await aesKey(input.key),
    input.plaintext as Uint8Array<ArrayBuffer>,
  );
  return concatBytes(header, new Uint8Array(sealed));
}

/** Splits an envelope into its fields without decrypting; throws CRYPTO_ENVELOPE_MALFORMED. */
export function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  if (envelope.length < ENVELOPE_OVERHEAD) {
    throw itradeError(
      'CRYPTO_ENVELOPE_MALFORMED',
      `envelope has ${envelope.length} bytes; the minimum is ${ENVELOPE_OVERHEAD} (17-byte header + 16-byte tag)`,
    );
  }
  const version = envelope[0]!;
  if (version !== ENVELOPE_VERSION) {
    throw itradeError(
      'CRYPTO_ENVELOPE_MALFORMED',
      `envelope version ${version} is not supported (this build reads version ${ENVELOPE_VERSION})`,
    );
  }
  return {
    version,
    keyId: view(envelope).getUint32(1),
    nonce: envelope.subarray(5, HEADER_LENGTH),
    ciphertext: envelope.subarray(HEADER_LENGTH, envelope.length - TAG_LENGTH),
    tag: envelope.subarray(envelope.length - TAG_LENGTH),
  };
}

/** The key id an envelope was sealed under (header only, nothing decrypted). */
export function envelopeKeyId(envelope: Uint8Array): number {
  return parseEnvelope(envelope).keyId;
}

export type KeyLookup = (keyId: number) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** The key of the envelope's key id, or CRYPTO_UNKNOWN_KEY_ID. */
export async function envelopeKey(env: ParsedEnvelope, sensor: string, keyFor: KeyLookup): Promise<Uint8Array> {
  const key = await keyFor(env.keyId);
  if (!key)
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `no key with id ${env.keyId} for sensor ${sensor.toLowerCase()}`);
  checkKey(key);
  return key;
}

export function decryptFailed(keyId: number, sensor: string, cause: unknown): never {
  throw itradeError(
    'CRYPTO_DECRYPT_FAILED',
    `envelope with key id ${keyId} does not authenticate for sensor ${sensor.toLowerCase()}`,
    { cause },
  );
}

/**
 * Decrypts and authenticates one envelope of `sensor`. `keyFor` returns the key of a key id, or
 * undefined when it holds none. Errors: CRYPTO_ENVELOPE_MALFORMED, CRYPTO_UNKNOWN_KEY_ID,
 * CRYPTO_DECRYPT_FAILED (no byte of unauthenticated plaintext ever leaves this function).
 */
export async function openEnvelope(envelope: Uint8Array, sensor: string, keyFor: KeyLookup): Promise<Uint8Array> {
  const env = parseEnvelope(envelope);
  const aad = envelopeAad(env.version, env.keyId, sensor);
  const key = await aesKey(await envelopeKey(env, sensor, keyFor));
  try {
    const plain = await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: env.nonce as Uint8Array<ArrayBuffer>,
        additionalData: aad as Uint8Array<ArrayBuffer>,
        tagLength: TAG_LENGTH * 8,
      },
      key,
      envelope.subarray(HEADER_LENGTH) as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(plain);
  } catch (cause) {
    decryptFailed(env.keyId, sensor, cause);
  }
}
