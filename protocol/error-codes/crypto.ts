// Error codes of crypto and key exchange: envelopes, key files, RSA wrapping, the key service and
// the sellers' key agents.
// One part of the registry: protocol/error-codes.ts merges the parts; add a code here and to
// docs/errors.md (a test keeps the two in step).
import type { ErrorSpec } from '../errors.ts';
import { spec } from './spec.ts';

export const CRYPTO_ERRORS = {
  // --- crypto and key exchange (envelopes, key files, RSA wrapping, KeyService) ---
  CRYPTO_ADDRESS_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_ADDRESS_INVALID',
    message: 'not a 0x-prefixed 20-byte hex address',
  }),
  CRYPTO_ENVELOPE_MALFORMED: spec({
    code: 'ITRADE_ERR_CRYPTO_ENVELOPE_MALFORMED',
    message: 'sensor data envelope is malformed',
  }),
  CRYPTO_UNKNOWN_KEY_ID: spec({
    code: 'ITRADE_ERR_CRYPTO_UNKNOWN_KEY_ID',
    message: 'no key with this key id is known',
  }),
  CRYPTO_DECRYPT_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_DECRYPT_FAILED',
    message: "envelope failed authentication: tampered, another sensor's, or the wrong key",
  }),
  CRYPTO_READING_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_READING_INVALID',
    message: 'decrypted payload is not a valid reading',
  }),
  CRYPTO_KEYFILE_PERMISSIONS: spec({
    code: 'ITRADE_ERR_CRYPTO_KEYFILE_PERMISSIONS',
    message: 'key file is accessible by group or others',
  }),
  CRYPTO_KEYFILE_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_KEYFILE_INVALID',
    message: 'key file cannot be read, created or parsed',
  }),
  CRYPTO_RSA_KEY_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_RSA_KEY_INVALID',
    message: 'RSA key is missing, malformed or shorter than 2048 bits',
  }),
  CRYPTO_UNWRAP_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_UNWRAP_FAILED',
    message: 'wrapped key cannot be unwrapped, is not signed by the seller, or is bound to another sensor or key id',
  }),
  CRYPTO_KEY_REQUEST_INVALID: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID',
    message: 'key exchange message is malformed',
  }),
  CRYPTO_KEY_NOT_ENTITLED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED',
    message: 'no valid subscription with entries left for this sensor',
  }),
  CRYPTO_KEY_NOT_COVERED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_NOT_COVERED',
    message: 'key id was retired before the subscription started',
  }),
  CRYPTO_KEY_AGENT_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_AGENT_UNAVAILABLE',
    message: "the seller's key agent did not answer in time",
  }),
  CRYPTO_KEY_AGENT_REFUSED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_AGENT_REFUSED',
    message: "the seller's key agent refused the request",
  }),
  CRYPTO_KEY_BUSY: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_BUSY',
    message: 'too many key requests of this buyer are pending',
  }),
  CRYPTO_MQTT_CONNECT: spec({
    code: 'ITRADE_ERR_CRYPTO_MQTT_CONNECT',
    message: 'the key agent or buyer key helper cannot connect to the broker',
  }),
  CRYPTO_KEY_CHECK_FAILED: spec({
    code: 'ITRADE_ERR_CRYPTO_KEY_CHECK_FAILED',
    message: 'the gateway could not check the subscription; retry later',
  }),
  CRYPTO_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CRYPTO_UNAVAILABLE',
    message: 'Web Crypto (globalThis.crypto.subtle) is not available here',
  }),
} as const satisfies Record<string, ErrorSpec>;
