// The gateway's check of a buyer's on-chain rsaPublicKey before it asks an agent to wrap for it:
// an RSA key of at least 2048 bits, else the buyer hears why at once instead of after an agent
// round trip. The fingerprint (SHA-256 of the DER SPKI) tags cache entries, so a buyer that
// registered a new key on chain is not handed keys wrapped for its old one.
import { createHash, createPublicKey } from 'node:crypto';
import { itradeError } from '../protocol/errors.ts';

export const MIN_BUYER_RSA_BITS = 2048;

/** Returns the key's fingerprint; CRYPTO_RSA_KEY_INVALID when missing, not RSA or too short. */
export function buyerKeyFingerprint(pem: string | undefined, buyer: string): string {
  if (!pem) throw itradeError('CRYPTO_RSA_KEY_INVALID', `buyer ${buyer} has no rsaPublicKey on chain`);
  let key;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw itradeError('CRYPTO_RSA_KEY_INVALID', `the on-chain rsaPublicKey of buyer ${buyer} is not a PEM public key`, {
      cause,
    });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_BUYER_RSA_BITS) {
    throw itradeError(
      'CRYPTO_RSA_KEY_INVALID',
      `the on-chain rsaPublicKey of buyer ${buyer} is not an RSA key of at least ${MIN_BUYER_RSA_BITS} bits`,
    );
  }
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);
}
