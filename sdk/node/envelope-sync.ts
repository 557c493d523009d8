// The envelope of sdk/crypto/envelope.ts, sealed and opened synchronously with node:crypto: for
// Node.js programs that seal thousands of readings a second in one loop (the benchmark's load
// generator), where a Web Crypto promise per envelope costs more than the AES itself. The bytes
// are the same (test/sdk/crypto/interop.test.ts seals with one and opens with the other).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  checkKey,
  decryptFailed,
  ENVELOPE_VERSION,
  envelopeAad,
  envelopeHeader,
  freshNonce,
  HEADER_LENGTH,
  parseEnvelope,
  TAG_LENGTH,
  type SealInput,
} from '../crypto/envelope.ts';
import { itradeError } from '../../protocol/errors.ts';

export function sealEnvelopeSync(input: SealInput): Buffer {
  checkKey(input.key);
  const header = envelopeHeader(input.keyId, input.nonce ?? freshNonce());
  const cipher = createCipheriv('aes-256-gcm', input.key, header.subarray(5), { authTagLength: TAG_LENGTH });
  cipher.setAAD(envelopeAad(ENVELOPE_VERSION, input.keyId, input.sensor));
  return Buffer.concat([header, cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
}

export function openEnvelopeSync(
  envelope: Uint8Array,
  sensor: string,
  keyFor: (keyId: number) => Uint8Array | undefined,
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
    return Buffer.concat([
      decipher.update(envelope.subarray(HEADER_LENGTH, envelope.length - TAG_LENGTH)),
      decipher.final(),
    ]);
  } catch (cause) {
    decryptFailed(env.keyId, sensor, cause);
  }
}
