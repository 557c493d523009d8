// Passwordless principal login (paper IV.C.2): a challenge with a random nonce, an expiry and a
// single use, kept in Redis; the account signs the EIP-4361 (Sign-In with Ethereum) message with
// personal_sign (EIP-191); the gateway recovers the signer and compares it with the account the
// challenge was issued to. GETDEL consumes the nonce atomically, so a signature works only once,
// on whichever instance it arrives.
import { randomBytes } from 'node:crypto';
import { getAddress, verifyMessage } from 'ethers';
import type { Redis } from 'ioredis';
import { normAddress } from '../protocol/topics.ts';
import { itradeError } from '../protocol/errors.ts';

export interface ChallengeOptions {
  ttlSec: number;
  domain: string;
  uri: string;
  chainId: number;
}

export interface Challenge {
  address: string;
  nonce: string;
  message: string;
  expiresAt: string; // ISO 8601
}

export class ChallengeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly o: ChallengeOptions,
  ) {}

  /** `address`: 0x and 40 hex digits (the route schema checks the form; this, the EIP-55 checksum). */
  async create(address: string): Promise<Challenge> {
    const account = checksummed(address);
    const nonce = randomBytes(16).toString('hex'); // EIP-4361: at least 8 alphanumeric characters
    const now = new Date();
    const expires = new Date(now.getTime() + this.o.ttlSec * 1000);
    const message = [
      `${this.o.domain} wants you to sign in with your Ethereum account:`,
      account,
      '',
      'Sign in to the ITrade gateway as the owner of a DataStreamPrincipal.',
      '',
      `URI: ${this.o.uri}`,
      'Version: 1',
      `Chain ID: ${this.o.chainId}`,
      `Nonce: ${nonce}`,
      `Issued At: ${now.toISOString()}`,
      `Expiration Time: ${expires.toISOString()}`,
    ].join('\n');
    const c: Challenge = { address: normAddress(address), nonce, message, expiresAt: expires.toISOString() };
    await this.redis.set(`${this.prefix}challenge:${nonce}`, JSON.stringify(c), 'EX', this.o.ttlSec);
    return c;
  }

  /** Consumes the challenge and returns the account that signed it. */
  /** `nonce` and `signature` in the form the route schema checks (http/schemas.ts). */
  async redeem(nonce: string, signature: string): Promise<string> {
    const raw = await this.redis.getdel(`${this.prefix}challenge:${nonce}`);
    if (raw === null) throw itradeError('AUTH_CHALLENGE_INVALID');
    const c = JSON.parse(raw) as Challenge;
    if (Date.parse(c.expiresAt) < Date.now()) throw itradeError('AUTH_CHALLENGE_INVALID', 'the challenge has expired');
    let signer: string;
    try {
      signer = normAddress(verifyMessage(c.message, signature));
    } catch (err) {
      throw itradeError('AUTH_SIGNATURE_INVALID', 'the signature cannot be recovered', { cause: err });
    }
    if (signer !== c.address) throw itradeError('AUTH_SIGNATURE_INVALID');
    return signer;
  }
}

// A mixed-case address carries an EIP-55 checksum: one that does not match is a typo, not an
// address to sign in with. All lower-case (or all upper-case) carries none.
function checksummed(address: string): string {
  try {
    return getAddress(address);
  } catch (err) {
    throw itradeError(
      'BROKER_BAD_REQUEST',
      'address: its mixed-case EIP-55 checksum does not match (a typo?); all lower-case skips the check',
      { cause: err },
    );
  }
}
