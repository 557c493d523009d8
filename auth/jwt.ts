// Signing and verifying the gateway's JWTs with jose. One algorithm from config (HS256 secret or
// ES256 key pair); verification pins that algorithm, so `alg: none` and HS/ES confusion are
// refused by jose before any key is used (RFC 8725 section 3.1). Every token has a jti so the
// operator can revoke it, and an exp that jose checks.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, errors, importPKCS8, importSPKI, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { itradeError } from '../protocol/errors.ts';
import { resolvePath } from '../lib/paths.ts';
import { isAddress } from '../protocol/topics.ts';

export type TokenKind = 'principal' | 'sensor' | 'operator';

/** What a verified token says. Addresses are lower-case. */
export type Identity =
  | { kind: 'principal'; sub: string; account: string; jti: string; iat: number; exp: number }
  | { kind: 'sensor'; sub: string; principal: string; jti: string; iat: number; exp: number }
  | { kind: 'operator'; sub: string; jti: string; iat: number; exp: number };

export interface JwtSettings {
  alg: 'HS256' | 'ES256';
  secret: string;
  privateKeyFile: string;
  publicKeyFile: string;
  issuer: string;
  audience: string;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: number; // unix seconds
}

type Key = CryptoKey | Uint8Array;

export class TokenService {
  private constructor(
    private readonly s: JwtSettings,
    private readonly signKey: Key,
    private readonly verifyKey: Key,
  ) {}

  /** Loads the keys; `secret` overrides s.secret (a dev secret from Redis). */
  static async create(s: JwtSettings, secret = s.secret): Promise<TokenService> {
    if (s.alg === 'HS256') {
      if (Buffer.byteLength(secret) < 32)
        throw itradeError('AUTH_CONFIG', 'broker.auth.jwt.secret: HS256 needs a secret of at least 32 bytes');
      const key = new TextEncoder().encode(secret);
      return new TokenService(s, key, key);
    }
    try {
      const priv = await importPKCS8(readFileSync(resolvePath(s.privateKeyFile), 'utf8'), 'ES256');
      const pub = await importSPKI(readFileSync(resolvePath(s.publicKeyFile), 'utf8'), 'ES256');
      return new TokenService(s, priv, pub);
    } catch (err) {
      throw itradeError(
        'AUTH_CONFIG',
        'broker.auth.jwt: ES256 needs readable privateKeyFile (PKCS#8) and publicKeyFile (SPKI) PEM files',
        { cause: err },
      );
    }
  }

  issuePrincipal(principal: string, account: string, ttlSec: number): Promise<IssuedToken> {
    return this.sign({ kind: 'principal', acc: account.toLowerCase() }, principal.toLowerCase(), ttlSec);
  }

  issueSensor(sensor: string, principal: string, ttlSec: number): Promise<IssuedToken> {
    return this.sign({ kind: 'sensor', prn: principal.toLowerCase() }, sensor.toLowerCase(), ttlSec);
  }

  issueOperator(name: string, ttlSec: number): Promise<IssuedToken> {
    return this.sign({ kind: 'operator' }, `operator:${name}`, ttlSec);
  }

  private async sign(claims: Record<string, string>, sub: string, ttlSec: number): Promise<IssuedToken> {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + ttlSec;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: this.s.alg, typ: 'JWT' })
      .setIssuer(this.s.issuer)
      .setAudience(this.s.audience)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(this.signKey);
    return { token, jti, expiresAt };
  }

  /** Verifies signature, algorithm, issuer, audience and expiry; throws AUTH_TOKEN_* otherwise. */
  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.verifyKey, {
        algorithms: [this.s.alg],
        issuer: this.s.issuer,
        audience: this.s.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        throw itradeError('AUTH_TOKEN_EXPIRED', 'the token has expired', { cause: err });
      throw itradeError('AUTH_TOKEN_INVALID', 'the token does not verify', { cause: err });
    }
    return toIdentity(payload);
  }
}

function toIdentity(p: JWTPayload): Identity {
  const bad = (what: string) => itradeError('AUTH_TOKEN_INVALID', `the token has ${what}`);
  const sub = p.sub!;
  const base = { sub, jti: p.jti!, iat: p.iat!, exp: p.exp! };
  switch (p.kind) {
    case 'principal':
      if (!isAddress(sub) || typeof p.acc !== 'string' || !isAddress(p.acc)) throw bad('a malformed principal claim');
      return { kind: 'principal', ...base, account: p.acc };
    case 'sensor':
      if (!isAddress(sub) || typeof p.prn !== 'string' || !isAddress(p.prn)) throw bad('a malformed sensor claim');
      return { kind: 'sensor', ...base, principal: p.prn };
    case 'operator':
      if (!/^operator:[A-Za-z0-9_.-]{1,64}$/.test(sub)) throw bad('a malformed operator subject');
      return { kind: 'operator', ...base };
    default:
      throw bad('no known kind');
  }
}
