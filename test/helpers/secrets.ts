// "These bytes never contain that secret": looks for a secret in the encodings it could leak in
// (raw, hex, base64, base64url). For AES keys and plaintext readings in Redis values, Kafka
// records and MQTT payloads.

export function encodings(secret: Buffer): Buffer[] {
  return [
    secret,
    Buffer.from(secret.toString('hex')),
    Buffer.from(secret.toString('hex').toUpperCase()),
    Buffer.from(secret.toString('base64')),
    Buffer.from(secret.toString('base64url')),
  ];
}

/** The first secret (by index) found in `haystack` in any encoding, or -1. */
export function findSecret(haystack: Buffer, secrets: readonly Buffer[]): number {
  return secrets.findIndex((s) => encodings(s).some((e) => haystack.includes(e)));
}
