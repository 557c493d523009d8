// The HTTP API (fastify): principal login by challenge, sensor activation, operator revocation and admin.
// Bodies and replies are JSON schemas (http/schemas.ts) that fastify checks before a handler runs;
// the bearer token is checked first of all (onRequest), before the body is even read. Every
// failure answers { error: { code, message } } with the code's HTTP status (http/errors.ts).
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Entitlements, PublishListener } from '../interfaces/layers.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ChallengeStore } from '../auth/challenge.ts';
import type { Identity, TokenService } from '../auth/jwt.ts';
import type { RevocationStore } from '../auth/revocation.ts';
import type { SensorRegistration } from '../chain/entitlements.ts';
import type { AdminDirectory } from '../interfaces/admin.ts';
import { adminRoutes } from './admin.ts';
import { createHttpServer } from './server.ts';
import * as S from './schemas.ts';

export interface ApiDeps {
  tokens: TokenService;
  challenges: ChallengeStore;
  revocations: RevocationStore;
  entitlements: Entitlements;
  registrations: { sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> };
  publishListener?: PublishListener;
  /** The operator's cluster-wide view (GET /v1/admin/clients ...); without it only revoke is served. */
  admin?: AdminDirectory;
  ttl: { principal: number; sensor: number };
  log: Logger;
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
  const app = createHttpServer({ log: deps.log });
  app.get('/v1/health', { schema: { response: S.replies(S.HealthReply) } }, async () => ({ ok: true }));
  loginRoutes(app, deps);
  tokenRoutes(app, deps);
  return app;
}

/** POST /v1/auth/challenge and /v1/auth/login: a principal token for a signed challenge. */
function loginRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: S.ChallengeBody }>(
    '/v1/auth/challenge',
    { schema: { body: S.ChallengeBody, response: S.replies(S.ChallengeReply) } },
    async (req) => deps.challenges.create(req.body.address),
  );
  app.post<{ Body: S.LoginBody }>(
    '/v1/auth/login',
    { schema: { body: S.LoginBody, response: S.replies(S.LoginReply) } },
    async (req) => signIn(deps, req.body.nonce, req.body.signature),
  );
}

/** A principal token for a signed challenge (also the GraphQL API's login). */
export async function signIn(deps: ApiDeps, nonce: string, signature: string) {
  const account = await deps.challenges.redeem(nonce, signature);
  const principal = await deps.entitlements.principalOfAccount(account);
  if (!principal) throw itradeError('AUTH_NOT_PRINCIPAL');
  const t = await deps.tokens.issuePrincipal(principal, account, deps.ttl.principal);
  deps.log.info({ principal, jti: t.jti }, 'principal logged in');
  return { token: t.token, principal, account, expiresAt: t.expiresAt };
}

/** The routes a bearer token opens: sensor activation (principal), revocation and admin (operator). */
function tokenRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const callers = new WeakMap<FastifyRequest, Identity>();
  const requireToken =
    (kind: Identity['kind']): onRequestAsyncHookHandler =>
    async (req) =>
      void callers.set(req, await bearer(deps, req, kind));
  app.post<{ Body: S.ActivateBody }>(
    '/v1/sensors/activate',
    {
      onRequest: requireToken('principal'),
      schema: { body: S.ActivateBody, response: S.replies(S.ActivateReply) },
    },
    async (req) => activate(deps, callers.get(req)!, req.body.txHash),
  );
  app.post<{ Body: S.RevokeBody }>(
    '/v1/admin/revoke',
    { onRequest: requireToken('operator'), schema: { body: S.RevokeBody, response: S.replies(S.RevokeReply) } },
    async (req) => revoke(deps, req.body),
  );
  if (deps.admin) adminRoutes(app, deps.admin, requireToken('operator'), deps.log);
}

/** A device token for the sensor `txHash` registered (also the GraphQL API's activateSensor). */
export async function activate(deps: ApiDeps, caller: Identity, txHash: string) {
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
}

async function revoke(deps: ApiDeps, b: S.RevokeBody) {
  if (b.jti !== undefined) {
    // Without exp the entry lives a year, longer than any token lives with the default lifetimes.
    await deps.revocations.revokeJti(b.jti, b.exp ?? Math.floor(Date.now() / 1000) + 366 * 86400);
    return { revoked: { jti: b.jti } };
  }
  const subject = b.subject!; // the schema requires jti or subject
  return { revoked: { subject, issuedUpTo: await deps.revocations.revokeSubject(subject) } };
}
