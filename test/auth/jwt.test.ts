import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TokenService, type JwtSettings } from '../../auth/jwt.ts';
import { isItradeError } from '../../protocol/errors.ts';

const SECRET = 'unit-test-secret-of-at-least-32-bytes!';
const hs: JwtSettings = {
  alg: 'HS256',
  secret: SECRET,
  privateKeyFile: '',
  publicKeyFile: '',
  issuer: 'itrade-gateway',
  audience: 'itrade',
};
const P = '0x' + '1'.repeat(40);
const A = '0x' + '2'.repeat(40);
const S = '0x' + '3'.repeat(40);

async function refusal(tokens: TokenService, token: string): Promise<string> {
  try {
    await tokens.verify(token);
  } catch (err) {
    if (isItradeError(err)) return err.code;
    throw err;
  }
  throw new Error('token was accepted');
}

function forge(claims: Record<string, unknown>, secret = SECRET) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('itrade-gateway')
    .setAudience('itrade')
    .setSubject(S)
    .setJti('j')
    .setIssuedAt();
}

test('issued tokens verify into typed identities with jti, iat and exp', async () => {
  const t = await TokenService.create(hs);
  const p = await t.issuePrincipal(P.toUpperCase().replace('0X', '0x'), A, 60);
  const id = await t.verify(p.token);
  assert.equal(
    { kind: id.kind, sub: id.sub, jti: id.jti, exp: id.exp },
    { kind: 'principal', sub: P, jti: p.jti, exp: p.expiresAt },
  );
  assert.is((id as { account: string }).account, A);
  const s = await t.verify((await t.issueSensor(S, P, 60)).token);
  assert.equal([s.kind, (s as { principal: string }).principal], ['sensor', P]);
  assert.is((await t.verify((await t.issueOperator('ops', 60)).token)).sub, 'operator:ops');
});

test('wrong key, alg none, expired, tampered, wrong audience and missing claims are refused', async () => {
  const t = await TokenService.create(hs);
  const now = Math.floor(Date.now() / 1000);
  const claims = { kind: 'sensor', prn: P };
  const good = (await t.issueSensor(S, P, 60)).token;
  const [h, b, sig] = good.split('.');
  const body = JSON.parse(Buffer.from(b!, 'base64url').toString()) as Record<string, unknown>;
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...body, prn: A })).toString('base64url')}.${sig}`;
  const cases: [string, string, string][] = [
    [
      'wrong key',
      await forge(claims)
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode('x'.repeat(40))),
      'ITRADE_ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'alg none',
      new UnsecuredJWT(claims)
        .setIssuer('itrade-gateway')
        .setAudience('itrade')
        .setSubject(S)
        .setJti('j')
        .setIssuedAt()
        .setExpirationTime(now + 60)
        .encode(),
      'ITRADE_ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'expired',
      await forge(claims)
        .setExpirationTime(now - 5)
        .sign(new TextEncoder().encode(SECRET)),
      'ITRADE_ERR_AUTH_TOKEN_EXPIRED',
    ],
    ['tampered', tampered, 'ITRADE_ERR_AUTH_TOKEN_INVALID'],
    [
      'other audience',
      await forge(claims)
        .setAudience('other')
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode(SECRET)),
      'ITRADE_ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'no kind',
      await forge({ prn: P })
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode(SECRET)),
      'ITRADE_ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'bad principal',
      await forge({ kind: 'sensor', prn: 'me' })
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode(SECRET)),
      'ITRADE_ERR_AUTH_TOKEN_INVALID',
    ],
    ['no exp', await forge(claims).sign(new TextEncoder().encode(SECRET)), 'ITRADE_ERR_AUTH_TOKEN_INVALID'],
    ['garbage', 'not.a.jwt', 'ITRADE_ERR_AUTH_TOKEN_INVALID'],
  ];
  for (const [what, token, code] of cases) assert.is(await refusal(t, token), code, what);
});

test('ES256: verifies its own tokens, refuses an HS256 token keyed with its public key (alg confusion)', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'itrade-jwt-'));
  const pub = await exportSPKI(publicKey);
  writeFileSync(join(dir, 'pub.pem'), pub);
  writeFileSync(join(dir, 'priv.pem'), await exportPKCS8(privateKey));
  const t = await TokenService.create({
    ...hs,
    alg: 'ES256',
    privateKeyFile: join(dir, 'priv.pem'),
    publicKeyFile: join(dir, 'pub.pem'),
  });
  assert.is((await t.verify((await t.issueSensor(S, P, 60)).token)).sub, S);
  const confused = await forge({ kind: 'sensor', prn: P })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
    .sign(new TextEncoder().encode(pub));
  assert.is(await refusal(t, confused), 'ITRADE_ERR_AUTH_TOKEN_INVALID');
  const hsService = await TokenService.create(hs);
  assert.is(await refusal(hsService, (await t.issueSensor(S, P, 60)).token), 'ITRADE_ERR_AUTH_TOKEN_INVALID');
});

test('a short secret or unreadable key files refuse to start', async () => {
  for (const s of [
    { ...hs, secret: 'short' },
    { ...hs, alg: 'ES256' as const, privateKeyFile: '/nonexistent.pem', publicKeyFile: '/nonexistent.pem' },
  ]) {
    const err = await TokenService.create(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isItradeError(err, 'AUTH_CONFIG'));
  }
});

test.run();
