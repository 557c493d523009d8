// A principal's RSA key pair (node-rsa): the public half goes on chain as `rsaPublicKey`, the
// private half stays in an owner-only PEM file. Sellers wrap sensor keys for buyers with RSA-OAEP
// (SHA-256, MGF1-SHA-256) [RFC 8017 7.1] and sign the wrapped blob with RSASSA-PSS (SHA-256)
// [RFC 8017 8.1], so the buyer knows the key came from the sensor's seller and not from the
// gateway that relayed it (docs/key-exchange.md, "Wrapped key").
import NodeRSA from 'node-rsa';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { itradeError } from '../../protocol/errors.ts';
import { addressBytes, KEY_LENGTH, MAX_KEY_ID } from './envelope.ts';
import { readSecretFile, writeSecretFile } from '../node/secret-file.ts';

export const MIN_RSA_BITS = 2048;
const OPTIONS = {
  encryptionScheme: { scheme: 'pkcs1_oaep', hash: 'sha256' },
  signingScheme: { scheme: 'pss', hash: 'sha256' },
} as const;

const BLOB_VERSION = 1;
const BLOB_LENGTH = 1 + 20 + 4 + KEY_LENGTH; // 57 bytes, well under OAEP's 190 for 2048 bits
const SIGNATURE_CONTEXT = Buffer.from('itrade-wrapped-key/1', 'ascii');

export interface SensorKey {
  sensor: string;
  keyId: number;
  key: Buffer;
}

function rsaFrom(pem: string, what: string): NodeRSA {
  let rsa: NodeRSA;
  try {
    rsa = new NodeRSA(pem, undefined, OPTIONS);
  } catch (cause) {
    throw itradeError('CRYPTO_RSA_KEY_INVALID', `${what} is not a PEM RSA key`, { cause });
  }
  if (rsa.getKeySize() < MIN_RSA_BITS) {
    throw itradeError(
      'CRYPTO_RSA_KEY_INVALID',
      `${what} has ${rsa.getKeySize()} bits; at least ${MIN_RSA_BITS} are required`,
    );
  }
  return rsa;
}

/** A parsed public key (from the chain); CRYPTO_RSA_KEY_INVALID when missing, malformed or short. */
export function parsePublicKey(pem: string | undefined, what = 'RSA public key'): NodeRSA {
  if (!pem) throw itradeError('CRYPTO_RSA_KEY_INVALID', `${what} is missing`);
  return rsaFrom(pem, what);
}

export class PrincipalKey {
  private readonly rsa: NodeRSA;

  private constructor(rsa: NodeRSA) {
    this.rsa = rsa;
  }

  static generate(bits = MIN_RSA_BITS): PrincipalKey {
    if (bits < MIN_RSA_BITS)
      throw itradeError('CRYPTO_RSA_KEY_INVALID', `refusing to generate a ${bits}-bit key; at least ${MIN_RSA_BITS}`);
    const rsa = new NodeRSA({ b: bits });
    rsa.setOptions(OPTIONS);
    return new PrincipalKey(rsa);
  }

  /**
   * Like generate(), but the prime search runs in node:crypto's thread pool: provisioning a
   * hundred principals makes their keys in parallel instead of one after another.
   */
  static async generateAsync(bits = MIN_RSA_BITS): Promise<PrincipalKey> {
    if (bits < MIN_RSA_BITS)
      throw itradeError('CRYPTO_RSA_KEY_INVALID', `refusing to generate a ${bits}-bit key; at least ${MIN_RSA_BITS}`);
    const { privateKey } = await promisify(generateKeyPair)('rsa', {
      modulusLength: bits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    return new PrincipalKey(rsaFrom(privateKey, 'generated key'));
  }

  /** Loads a private key PEM file; refuses a file group/others can read. */
  static load(path: string): PrincipalKey {
    const rsa = rsaFrom(readSecretFile(path).toString('utf8'), `private key file ${path}`);
    if (!rsa.isPrivate()) throw itradeError('CRYPTO_RSA_KEY_INVALID', `${path} holds a public key, not a private one`);
    return new PrincipalKey(rsa);
  }

  /** Writes the private key (PKCS#8 PEM) with mode 0600; never overwrites an existing file. */
  save(path: string): void {
    writeSecretFile(path, this.rsa.exportKey('pkcs8-private-pem'), { exclusive: true });
  }

  /** The SPKI PEM ("BEGIN PUBLIC KEY") registered on chain as the principal's rsaPublicKey. */
  publicKeyPem(): string {
    return this.rsa.exportKey('pkcs8-public-pem');
  }

  sign(data: Buffer): Buffer {
    return Buffer.from(this.rsa.sign(data));
  }

  decrypt(data: Buffer): Buffer {
    return Buffer.from(this.rsa.decrypt(data));
  }
}

function encodeBlob(k: SensorKey): Buffer {
  if (k.key.length !== KEY_LENGTH) throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes`);
  if (!Number.isInteger(k.keyId) || k.keyId < 1 || k.keyId > MAX_KEY_ID)
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `bad key id ${k.keyId}`);
  const blob = Buffer.alloc(BLOB_LENGTH);
  blob.writeUInt8(BLOB_VERSION, 0);
  addressBytes(k.sensor).copy(blob, 1);
  blob.writeUInt32BE(k.keyId, 21);
  k.key.copy(blob, 25);
  return blob;
}

function signedData(buyer: string, wrapped: Buffer): Buffer {
  return Buffer.concat([SIGNATURE_CONTEXT, addressBytes(buyer), wrapped]);
}

export interface WrappedKey {
  wrapped: Buffer;
  signature: Buffer;
}

/**
 * Seller side: encrypts sensor ‖ key id ‖ key to the buyer's public key and signs the result with
 * the seller's principal key. The sensor and key id inside stop a gateway from passing one
 * sensor's key off as another's.
 */
export function wrapSensorKey(
  buyerPublicKeyPem: string,
  buyer: string,
  k: SensorKey,
  seller: PrincipalKey,
): WrappedKey {
  const pub = parsePublicKey(buyerPublicKeyPem, `public key of buyer ${buyer}`);
  const wrapped = Buffer.from(pub.encrypt(encodeBlob(k)));
  return { wrapped, signature: seller.sign(signedData(buyer, wrapped)) };
}

export interface UnwrapExpect {
  buyer: string;
  sensor: string;
  /** The key id asked for, or undefined when "current" was asked for (any id is accepted). */
  keyId?: number;
  /** The seller's on-chain public key; when given, the signature must verify. */
  sellerPublicKeyPem?: string;
}

function unwrapFail(why: string, cause?: unknown): never {
  throw itradeError('CRYPTO_UNWRAP_FAILED', why, cause === undefined ? undefined : { cause });
}

/** Buyer side: checks the seller's signature, decrypts, and checks the sensor and key id bound inside. */
export function unwrapSensorKey(own: PrincipalKey, w: WrappedKey, expect: UnwrapExpect): SensorKey {
  if (expect.sellerPublicKeyPem !== undefined) {
    const seller = parsePublicKey(expect.sellerPublicKeyPem, 'seller public key');
    if (!seller.verify(signedData(expect.buyer, w.wrapped), w.signature))
      unwrapFail('the seller signature over the wrapped key does not verify');
  }
  let blob: Buffer;
  try {
    blob = own.decrypt(w.wrapped);
  } catch (cause) {
    unwrapFail('the wrapped key does not decrypt with this private key', cause);
  }
  if (blob.length !== BLOB_LENGTH || blob.readUInt8(0) !== BLOB_VERSION)
    unwrapFail('the unwrapped blob has an unknown layout');
  const sensor = `0x${blob.subarray(1, 21).toString('hex')}`;
  const keyId = blob.readUInt32BE(21);
  if (sensor !== expect.sensor.toLowerCase())
    unwrapFail(`the wrapped key belongs to sensor ${sensor}, not ${expect.sensor.toLowerCase()}`);
  if (expect.keyId !== undefined && keyId !== expect.keyId)
    unwrapFail(`the wrapped key has key id ${keyId}, not ${expect.keyId}`);
  return { sensor, keyId, key: Buffer.from(blob.subarray(25)) };
}
