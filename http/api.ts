// The HTTP API (fastify): principal login by challenge, sensor activation, operator revocation.
// Every failure answers { error: { code, message } } with the code's HTTP status (docs/errors.md).
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Entitlements, PublishListener } from '../interfaces/layers.ts';
import { isItradeError, itradeError, type ItradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ChallengeStore } from '../auth/challenge.ts';
import type { Identity, TokenService } from '../auth/jwt.ts';
import type { RevocationStore } from '../auth/revocation.ts';
import type { SensorRegistration } from '../chain/entitlements.ts';

export interface ApiDeps {
  tokens: TokenService;
  challenges: ChallengeStore;
  revocations: RevocationStore;
  entitlements: Entitlements;
  registrations: { sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> };
  publishListener?: PublishListener;
  ttl: { principal: number; sensor: number };
  log: Logger;
}

type Body = Record<string, unknown>;

function body(req: FastifyRequest): Body {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw itradeError('BROKER_BAD_REQUEST', 'the body must be a JSON object');
  return b as Body;
}

function field(b: Body, name: string, pattern: RegExp, what: string): string {
  const v = b[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw itradeError('BROKER_BAD_REQUEST', `${name}: must be ${what}`);
  return v;
}

export async function bearer(
  deps: Pick<ApiDeps, 'tokens' | 'revocations'>,
  req: FastifyRequest,
  kind: Identity['kind'],
): Promise<Identity> {
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Bearer '))
    throw itradeError('AUTH_TOKEN_MISSING', 'Authorization: Bearer <token> is required');
  const id = await deps.tokens.verify(h.slice('Bearer '.length).trim());
  if (await deps.revocations.isRevoked(id)) throw itradeError('AUTH_TOKEN_REVOKED');
  if (id.kind !== kind) throw itradeError('AUTH_NOT_AUTHORISED', `this needs a ${kind} token`);
  return id;
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.setErrorHandler((err, _req, reply) => {
    const e: ItradeError = isItradeError(err)
      ? err
      : (err as { statusCode?: number }).statusCode === 400 || (err as { statusCode?: number }).statusCode === 415
        ? itradeError('BROKER_BAD_REQUEST', (err as Error).message)
        : itradeError('CHAIN_UNAVAILABLE', 'the request could not be served', { cause: err });
    if (e.httpStatus >= 500) deps.log.warn({ err, code: e.code }, 'api request failed');
    void reply.status(e.httpStatus).send({ error: { code: e.code, message: e.message } });
  });

  app.get('/v1/health', async () => ({ ok: true }));

  app.post('/v1/auth/challenge', async (req) => deps.challenges.create(body(req).address as string));

  app.post('/v1/auth/login', async (req) => {
    const b = body(req);
    const account = await deps.challenges.redeem(b.nonce as string, b.signature as string);
    const principal = await deps.entitlements.principalOfAccount(account);
    if (!principal) throw itradeError('AUTH_NOT_PRINCIPAL');
    const t = await deps.tokens.issuePrincipal(principal, account, deps.ttl.principal);
    deps.log.info({ principal, jti: t.jti }, 'principal logged in');
    return { token: t.token, principal, account, expiresAt: t.expiresAt };
  });

  app.post('/v1/sensors/activate', async (req) => {
    const caller = await bearer(deps, req, 'principal');
    const txHash = field(body(req), 'txHash', /^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte transaction hash');
    const reg = await deps.registrations.sensorRegistration(txHash);
    if (!reg)
      throw itradeError('BROKER_ACTIVATION_REJECTED', 'the transaction is unknown, failed, or registered no sensor');
    if (reg.principal !== caller.sub)
      throw itradeError('BROKER_ACTIVATION_REJECTED', 'the sensor belongs to another principal');
    const info = await deps.entitlements.sensor(reg.sensor);
    if (!info || info.status !== 'active')
      throw itradeError(
        'BROKER_ACTIVATION_REJECTED',
        `the sensor is ${info?.status ?? 'unknown'} on chain: activate it first`,
      );
    const t = await deps.tokens.issueSensor(reg.sensor, reg.principal, deps.ttl.sensor);
    await deps.publishListener?.onSensorActivated(reg.sensor);
    deps.log.info({ sensor: reg.sensor, jti: t.jti }, 'sensor activated');
    return { token: t.token, sensor: reg.sensor, principal: reg.principal, expiresAt: t.expiresAt };
  });

  app.post('/v1/admin/revoke', async (req) => {
    await bearer(deps, req, 'operator');
    const b = body(req);
    if (typeof b.jti === 'string') {
      const exp =
        typeof b.exp === 'number' && Number.isInteger(b.exp) ? b.exp : Math.floor(Date.now() / 1000) + 366 * 86400;
      await deps.revocations.revokeJti(field(b, 'jti', /^[A-Za-z0-9-]{1,64}$/, 'a token id'), exp);
      return { revoked: { jti: b.jti } };
    }
    const subject = field(
      b,
      'subject',
      /^(0x[0-9a-f]{40}|operator:[A-Za-z0-9_.-]{1,64})$/,
      'a lower-case address or operator:<name> (or give jti)',
    );
    const before = await deps.revocations.revokeSubject(subject);
    return { revoked: { subject, issuedUpTo: before } };
  });

  return app;
}
