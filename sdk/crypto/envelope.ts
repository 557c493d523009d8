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
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { itradeError } from '../../protocol/errors.ts';
import { isAddress } from '../../protocol/topics.ts';

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
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export interface SealInput {
  sensor: string;
  keyId: number;
  key: Buffer;
  plaintext: Buffer;
  /** Only for test vectors: a nonce must never repeat under one key, so leave it random. */
  nonce?: Buffer;
}

/** The 20 bytes of a 0x-hex address (any case). */
export function addressBytes(address: string): Buffer {
  const a = address.toLowerCase();
  if (!isAddress(a))
    throw itradeError('CRYPTO_ADDRESS_INVALID', `"${address}" is not a 0x-prefixed 20-byte hex address`);
  return Buffer.from(a.slice(2), 'hex');
}

/** What GCM authenticates besides the ciphertext: version ‖ key id ‖ sensor address (25 bytes). */
export function envelopeAad(version: number, keyId: number, sensor: string): Buffer {
  const aad = Buffer.alloc(25);
  aad.writeUInt8(version, 0);
  aad.writeUInt32BE(keyId, 1);
  addressBytes(sensor).copy(aad, 5);
  return aad;
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_LENGTH)
    throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes, got ${key.length}`);
}

function checkKeyId(keyId: number): void {
  if (!Number.isInteger(keyId) || keyId < 1 || keyId > MAX_KEY_ID) {
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `key id ${keyId} is not an integer in 1..${MAX_KEY_ID}`);
  }
}

// Nonces come from the CSPRNG in 4 KiB draws, one call per 341 envelopes instead of one per
// envelope: a load generator seals thousands a second. Each is still 96 random bits, used once.
const NONCE_POOL = 4096 - (4096 % NONCE_LENGTH);
let noncePool = Buffer.alloc(0);
let nonceAt = 0;

function freshNonce(): Buffer {
  if (nonceAt + NONCE_LENGTH > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL);
    nonceAt = 0;
  }
  nonceAt += NONCE_LENGTH;
  return noncePool.subarray(nonceAt - NONCE_LENGTH, nonceAt);
}

export function sealEnvelope(input: SealInput): Buffer {
  checkKey(input.key);
  checkKeyId(input.keyId);
  const nonce = input.nonce ?? freshNonce();
  if (nonce.length !== NONCE_LENGTH)
    throw itradeError('CRYPTO_ENVELOPE_MALFORMED', `a nonce has ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  const cipher = createCipheriv('aes-256-gcm', input.key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(envelopeAad(ENVELOPE_VERSION, input.keyId, input.sensor));
  const ciphertext = Buffer.concat([cipher.update(input.plaintext), cipher.final()]);
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(ENVELOPE_VERSION, 0);
  header.writeUInt32BE(input.keyId, 1);
  nonce.copy(header, 5);
  return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
}

/** Splits an envelope into its fields without decrypting; throws CRYPTO_ENVELOPE_MALFORMED. */
export function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  const buf = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  if (buf.length < ENVELOPE_OVERHEAD) {
    throw itradeError(
      'CRYPTO_ENVELOPE_MALFORMED',
      `envelope has ${buf.length} bytes; the minimum is ${ENVELOPE_OVERHEAD} (17-byte header + 16-byte tag)`,
    );
  }
  const version = buf.readUInt8(0);
  if (version !== ENVELOPE_VERSION) {
    throw itradeError(
      'CRYPTO_ENVELOPE_MALFORMED',
      `envelope version ${version} is not supported (this build reads version ${ENVELOPE_VERSION})`,
    );
  }
  return {
    version,
    keyId: buf.readUInt32BE(1),
    nonce: buf.subarray(5, HEADER_LENGTH),
    ciphertext: buf.subarray(HEADER_LENGTH, buf.length - TAG_LENGTH),
    tag: buf.subarray(buf.length - TAG_LENGTH),
  };
}

/** The key id an envelope was sealed under (header only, nothing decrypted). */
export function envelopeKeyId(envelope: Uint8Array): number {
  return parseEnvelope(envelope).keyId;
}

/**
 * Decrypts and authenticates one envelope of `sensor`. `keyFor` returns the key of a key id, or
 * undefined when it holds none. Errors: CRYPTO_ENVELOPE_MALFORMED, CRYPTO_UNKNOWN_KEY_ID,
 * CRYPTO_DECRYPT_FAILED (no byte of unauthenticated plaintext ever leaves this function).
 */
export function openEnvelope(
  envelope: Uint8Array,
  sensor: string,
  keyFor: (keyId: number) => Buffer | undefined,
): Buffer {
  const env = parseEnvelope(envelope);
  const aad = envelopeAad(env.version, env.keyId, sensor);
  const key = keyFor(env.keyId);
  if (!key)
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `no key with id ${env.keyId} for sensor ${sensor.toLowerCase()}`);
  checkKey(key);
  const decipher = createDecipheriv('aes-256-gcm', key, env.nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(env.tag);
  try {
    return Buffer.concat([decipher.update(env.ciphertext), decipher.final()]);
  } catch (cause) {
    throw itradeError(
      'CRYPTO_DECRYPT_FAILED',
      `envelope with key id ${env.keyId} does not authenticate for sensor ${sensor.toLowerCase()}`,
      { cause },
    );
  }
}
