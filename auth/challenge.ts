// Passwordless principal login (paper IV.C.2): a challenge with a random nonce, an expiry and a
// single use, kept in Redis; the account signs the EIP-4361 (Sign-In with Ethereum) message with
// personal_sign (EIP-191); the gateway recovers the signer and compares it with the account the
// challenge was issued to. GETDEL consumes the nonce atomically, so a signature works only once,
// on whichever instance it arrives.
import { randomBytes } from 'node:crypto';
import { getAddress, verifyMessage } from 'ethers';
import type { Redis } from 'ioredis';
import { isAddress, normAddress } from '../protocol/topics.ts';
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

  async create(address: string): Promise<Challenge> {
    if (typeof address !== 'string' || !isAddress(address.toLowerCase()))
      throw itradeError('BROKER_BAD_REQUEST', 'address: must be a 0x-prefixed 20-byte hex address');
    const nonce = randomBytes(16).toString('hex'); // EIP-4361: at least 8 alphanumeric characters
    const now = new Date();
    const expires = new Date(now.getTime() + this.o.ttlSec * 1000);
    const message = [
      `${this.o.domain} wants you to sign in with your Ethereum account:`,
      getAddress(address),
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
  async redeem(nonce: string, signature: string): Promise<string> {
    if (typeof nonce !== 'string' || !/^[0-9a-f]{32}$/.test(nonce))
      throw itradeError('BROKER_BAD_REQUEST', 'nonce: must be the nonce the challenge returned');
    if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature))
      throw itradeError('BROKER_BAD_REQUEST', 'signature: must be a 65-byte 0x-hex signature');
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
