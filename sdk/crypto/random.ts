// Web Crypto, as Node.js (>= 19) and every browser expose it on globalThis. Asking for it through
// one function gives a clear error where it is missing (an old Node.js, an insecure browser
// context: crypto.subtle exists only on https:// and localhost pages).
import { itradeError } from '../../protocol/errors.ts';

// The Web Crypto types, named from the global's own declaration (no DOM lib, no node: import).
type Crypto = typeof globalThis.crypto;
export type Subtle = Crypto['subtle'];
export type CryptoKey = Awaited<ReturnType<Subtle['importKey']>>;
// An array in Node's types, an Iterable in the DOM lib's (the web app's typecheck): infer from both.
export type KeyUsage = Parameters<Subtle['generateKey']>[2] extends Iterable<infer U> ? U : never;

function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle)
    throw itradeError(
      'CRYPTO_UNAVAILABLE',
      'Web Crypto (globalThis.crypto.subtle) is not available: Node.js 19 or newer, or a browser page over https',
    );
  return c;
}

export function subtle(): Subtle {
  return webCrypto().subtle;
}

/** `n` bytes from the platform's CSPRNG (getRandomValues gives at most 65,536 per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) webCrypto().getRandomValues(out.subarray(at, Math.min(n, at + 65_536)));
  return out;
}
