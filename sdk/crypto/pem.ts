// PEM text and the two DER wrappers Web Crypto needs: it imports RSA keys only as PKCS#8
// ("BEGIN PRIVATE KEY") and SPKI ("BEGIN PUBLIC KEY"), which is what this SDK writes and what
// goes on chain. Older PKCS#1 files ("BEGIN RSA PRIVATE KEY" / "BEGIN RSA PUBLIC KEY", which
// node-rsa also read) are wrapped into those [RFC 5208 5, RFC 5280 4.1.2.7, RFC 8017 A.1].
import { concatBytes, fromBase64, toBase64 } from '../../protocol/bytes.ts';

export interface Pem {
  label: string;
  der: Uint8Array;
}

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The first PEM block of the text, or undefined when there is none or its base64 is broken. */
export function pemDecode(text: string): Pem | undefined {
  const m = PEM.exec(text);
  if (!m) return undefined;
  const der = fromBase64(m[2]!.replace(/\s+/g, ''));
  return der && der.length > 0 ? { label: m[1]!, der } : undefined;
}

/** PEM with 64-character lines, as OpenSSL and node:crypto write it. */
export function pemEncode(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), derLength(body.length), body);
}

// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
const RSA_ALGORITHM = Uint8Array.of(
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
); // prettier-ignore

/** PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING pkcs1 } [RFC 5208 5]. */
export function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return der(0x30, Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM, der(0x04, pkcs1));
}

/** SubjectPublicKeyInfo { rsaEncryption, BIT STRING pkcs1 } [RFC 5280 4.1]. */
export function pkcs1PublicToSpki(pkcs1: Uint8Array): Uint8Array {
  return der(0x30, RSA_ALGORITHM, der(0x03, Uint8Array.of(0x00), pkcs1));
}
