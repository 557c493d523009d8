// A principal's RSA key pair: the public half goes on chain as `rsaPublicKey` (SPKI PEM), the
// private half stays with its owner (PKCS#8 PEM; sdk/node/principal-key-file.ts keeps it in an
// owner-only file). Sellers wrap sensor keys for buyers with RSA-OAEP (SHA-256, MGF1-SHA-256)
// [RFC 8017 7.1] and sign the wrapped blob with RSASSA-PSS (SHA-256, MGF1-SHA-256, 20-byte salt)
// [RFC 8017 8.1], so the buyer knows the key came from the sensor's seller and not from the
// gateway that relayed it (docs/key-exchange.md, "Wrapped key"). Web Crypto does the RSA; the
// parameters are the ones node-rsa used before (test/sdk/crypto/interop.test.ts proves the bytes
// interoperate with node-rsa and node:crypto both ways).
import { itradeError } from '../../protocol/errors.ts';
import { concatBytes, toHex, utf8, view } from '../../protocol/bytes.ts';
import { addressBytes, KEY_LENGTH, MAX_KEY_ID } from './envelope.ts';
import { pemDecode, pemEncode, pkcs1PrivateToPkcs8, pkcs1PublicToSpki } from './pem.ts';
import { subtle, type CryptoKey, type KeyUsage } from './random.ts';

export const MIN_RSA_BITS = 2048;
/** RSASSA-PSS salt length in bytes: node-rsa's default, which the first keys on chain were signed with. */
export const PSS_SALT_LENGTH = 20;
const OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const PSS = { name: 'RSA-PSS', hash: 'SHA-256' } as const;
const PUBLIC_EXPONENT = Uint8Array.of(1, 0, 1); // 65537

const BLOB_VERSION = 1;
const BLOB_LENGTH = 1 + 20 + 4 + KEY_LENGTH; // 57 bytes, well under OAEP's 190 for 2048 bits
const SIGNATURE_CONTEXT = utf8('itrade-wrapped-key/1');

export interface SensorKey {
  sensor: string;
  keyId: number;
  key: Uint8Array;
}

type Bytes = Uint8Array<ArrayBuffer>;

function rsaInvalid(why: string, cause?: unknown): never {
  throw itradeError('CRYPTO_RSA_KEY_INVALID', why, cause === undefined ? undefined : { cause });
}

function checkBits(bits: number, what: string): void {
  if (bits < MIN_RSA_BITS) rsaInvalid(`${what} has ${bits} bits; at least ${MIN_RSA_BITS} are required`);
}

function bitsOf(key: CryptoKey): number {
  return (key.algorithm as unknown as { modulusLength: number }).modulusLength;
}

async function importAs(
  format: 'spki' | 'pkcs8',
  der: Uint8Array,
  alg: typeof OAEP | typeof PSS,
  use: KeyUsage[],
  what: string,
) {
  try {
    return await subtle().importKey(format, der as Bytes, alg, true, use);
  } catch (cause) {
    rsaInvalid(`${what} is not a PEM RSA key`, cause);
  }
}

/** An RSA public key: from the chain (`rsaPublicKey`), SPKI PEM (PKCS#1 is accepted too). */
export class PublicKey {
  private constructor(
    readonly pem: string,
    readonly bits: number,
    private readonly oaep: CryptoKey,
    private readonly pss: CryptoKey,
  ) {}

  static async fromPem(pem: string | undefined, what = 'RSA public key'): Promise<PublicKey> {
    if (!pem) rsaInvalid(`${what} is missing`);
    const p = pemDecode(pem);
    if (!p || (p.label !== 'PUBLIC KEY' && p.label !== 'RSA PUBLIC KEY')) rsaInvalid(`${what} is not a PEM RSA key`);
    const spki = p.label === 'PUBLIC KEY' ? p.der : pkcs1PublicToSpki(p.der);
    const oaep = await importAs('spki', spki, OAEP, ['encrypt'], what);
    checkBits(bitsOf(oaep), what);
    const pss = await importAs('spki', spki, PSS, ['verify'], what);
    return new PublicKey(pemEncode('PUBLIC KEY', spki), bitsOf(oaep), oaep, pss);
  }

  async encrypt(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle().encrypt(OAEP, this.oaep, data as Bytes));
  }

  async verify(data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    try {
      return await subtle().verify(
        { name: 'RSA-PSS', saltLength: PSS_SALT_LENGTH },
        this.pss,
        signature as Bytes,
        data as Bytes,
      );
    } catch {
      return false;
    }
  }
}

/** A principal's private key (PKCS#8), with its public half. */
export class PrincipalKey {
  private constructor(
    private readonly pkcs8: Uint8Array,
    readonly publicKey: PublicKey,
    private readonly oaep: CryptoKey,
    private readonly pss: CryptoKey,
  ) {}

  get bits(): number {
    return this.publicKey.bits;
  }

  /** A new key pair; the prime search runs off the main thread (Node's thread pool, the browser's). */
  static async generate(bits = MIN_RSA_BITS): Promise<PrincipalKey> {
    if (bits < MIN_RSA_BITS) rsaInvalid(`refusing to generate a ${bits}-bit key; at least ${MIN_RSA_BITS}`);
    const pair = await subtle().generateKey({ ...OAEP, modulusLength: bits, publicExponent: PUBLIC_EXPONENT }, true, [
      'encrypt',
      'decrypt',
    ]);
    const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
    return PrincipalKey.fromPkcs8(pkcs8, 'generated key');
  }

  /** From PEM: PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
  static async fromPem(pem: string, what = 'RSA private key'): Promise<PrincipalKey> {
    const p = pemDecode(pem);
    if (p?.label === 'PUBLIC KEY' || p?.label === 'RSA PUBLIC KEY')
      rsaInvalid(`${what} holds a public key, not a private one`);
    if (!p || (p.label !== 'PRIVATE KEY' && p.label !== 'RSA PRIVATE KEY')) rsaInvalid(`${what} is not a PEM RSA key`);
    return PrincipalKey.fromPkcs8(p.label === 'PRIVATE KEY' ? p.der : pkcs1PrivateToPkcs8(p.der), what);
  }

  private static async fromPkcs8(pkcs8: Uint8Array, what: string): Promise<PrincipalKey> {
    const oaep = await importAs('pkcs8', pkcs8, OAEP, ['decrypt'], what);
    checkBits(bitsOf(oaep), what);
    const pss = await importAs('pkcs8', pkcs8, PSS, ['sign'], what);
    // The public half: n and e of the private key's JWK.
    const { n, e } = await subtle().exportKey('jwk', oaep);
    const pub = await subtle().importKey('jwk', { kty: 'RSA', n, e, ext: true }, OAEP, true, ['encrypt']);
    const spki = new Uint8Array(await subtle().exportKey('spki', pub));
    return new PrincipalKey(pkcs8, await PublicKey.fromPem(pemEncode('PUBLIC KEY', spki), what), oaep, pss);
  }

  /** The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"): keep it secret. */
  privateKeyPem(): string {
    return pemEncode('PRIVATE KEY', this.pkcs8);
  }

  /** The SPKI PEM ("BEGIN PUBLIC KEY") registered on chain as the principal's rsaPublicKey. */
  publicKeyPem(): string {
    return this.publicKey.pem;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const sig = await subtle().sign({ name: 'RSA-PSS', saltLength: PSS_SALT_LENGTH }, this.pss, data as Bytes);
    return new Uint8Array(sig);
  }

  async decrypt(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle().decrypt(OAEP, this.oaep, data as Bytes));
  }
}

/** A parsed public key (from the chain); CRYPTO_RSA_KEY_INVALID when missing, malformed or short. */
export function parsePublicKey(pem: string | undefined, what = 'RSA public key'): Promise<PublicKey> {
  return PublicKey.fromPem(pem, what);
}

function encodeBlob(k: SensorKey): Uint8Array {
  if (k.key.length !== KEY_LENGTH) throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes`);
  if (!Number.isInteger(k.keyId) || k.keyId < 1 || k.keyId > MAX_KEY_ID)
    throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `bad key id ${k.keyId}`);
  const blob = new Uint8Array(BLOB_LENGTH);
  blob[0] = BLOB_VERSION;
  blob.set(addressBytes(k.sensor), 1);
  view(blob).setUint32(21, k.keyId);
  blob.set(k.key, 25);
  return blob;
}

function signedData(buyer: string, wrapped: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT, addressBytes(buyer), wrapped);
}

export interface WrappedKey {
  wrapped: Uint8Array;
  signature: Uint8Array;
}

/**
 * Seller side: encrypts sensor ‖ key id ‖ key to the buyer's public key and signs the result with
 * the seller's principal key. The sensor and key id inside stop a gateway from passing one
 * sensor's key off as another's.
 */
export async function wrapSensorKey(
  buyerPublicKeyPem: string,
  buyer: string,
  k: SensorKey,
  seller: PrincipalKey,
): Promise<WrappedKey> {
  const pub = await parsePublicKey(buyerPublicKeyPem, `public key of buyer ${buyer}`);
  const wrapped = await pub.encrypt(encodeBlob(k));
  return { wrapped, signature: await seller.sign(signedData(buyer, wrapped)) };
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
export async function unwrapSensorKey(own: PrincipalKey, w: WrappedKey, expect: UnwrapExpect): Promise<SensorKey> {
  if (expect.sellerPublicKeyPem !== undefined) {
    const seller = await parsePublicKey(expect.sellerPublicKeyPem, 'seller public key');
    if (!(await seller.verify(signedData(expect.buyer, w.wrapped), w.signature)))
      unwrapFail('the seller signature over the wrapped key does not verify');
  }
  let blob: Uint8Array;
  try {
    blob = await own.decrypt(w.wrapped);
  } catch (cause) {
    unwrapFail('the wrapped key does not decrypt with this private key', cause);
  }
  if (blob.length !== BLOB_LENGTH || blob[0] !== BLOB_VERSION) unwrapFail('the unwrapped blob has an unknown layout');
  const sensor = `0x${toHex(blob.subarray(1, 21))}`;
  const keyId = view(blob).getUint32(21);
  if (sensor !== expect.sensor.toLowerCase())
    unwrapFail(`the wrapped key belongs to sensor ${sensor}, not ${expect.sensor.toLowerCase()}`);
  if (expect.keyId !== undefined && keyId !== expect.keyId)
    unwrapFail(`the wrapped key has key id ${keyId}, not ${expect.keyId}`);
  return { sensor, keyId, key: blob.slice(25) };
}
