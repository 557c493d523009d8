// The operator's admin routes beside POST /v1/admin/revoke (operator token): the clients every
// instance serves, disconnecting one wherever it is, and the persistent sessions in Redis.
// The cluster-wide view is an AdminDirectory (interfaces/admin.ts); this file only speaks HTTP.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { AdminDirectory } from '../interfaces/admin.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { replies } from './schemas.ts';

const object = { additionalProperties: false, description: 'a JSON object' };

export const ClientsReply = Type.Object({
  clients: Type.Array(
    Type.Object({
      clientId: Type.String(),
      identity: Type.Object({
        kind: Type.Union([Type.Literal('principal'), Type.Literal('sensor'), Type.Literal('operator')]),
        sub: Type.String(),
      }),
      instance: Type.String(),
      address: Type.Optional(Type.String()),
      connectedSince: Type.String({ description: 'ISO 8601' }),
      subscriptions: Type.Array(Type.String()),
    }),
  ),
});

export const DisconnectBody = Type.Object(
  { clientId: Type.String({ minLength: 1, maxLength: 256, description: 'an MQTT client id' }) },
  object,
);
export const DisconnectReply = Type.Object({
  disconnected: Type.Object({ clientId: Type.String(), instance: Type.String() }),
});

export const SessionsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'an integer 1..10000' })) },
  object,
);
export const SessionsReply = Type.Object({
  sessions: Type.Array(
    Type.Object({
      clientId: Type.String(),
      subscriptions: Type.Array(Type.String()),
      queued: Type.Integer(),
      online: Type.Boolean(),
    }),
  ),
  truncated: Type.Boolean(),
});

export function adminRoutes(
  app: FastifyInstance,
  admin: AdminDirectory,
  requireOperator: onRequestAsyncHookHandler,
  log: Logger,
): void {
  const onRequest = requireOperator;
  app.get('/v1/admin/clients', { onRequest, schema: { response: replies(ClientsReply) } }, async () => ({
    clients: await admin.clients(),
  }));
  app.post<{ Body: Static<typeof DisconnectBody> }>(
    '/v1/admin/disconnect',
    { onRequest, schema: { body: DisconnectBody, response: replies(DisconnectReply) } },
    async (req) => {
      const done = await admin.disconnect(req.body.clientId);
      if (!done) throw itradeError('ADMIN_CLIENT_UNKNOWN', `no instance serves client "${req.body.clientId}"`);
      log.info({ clientId: done.clientId, instance: done.instance }, 'operator disconnect sent');
      return { disconnected: done };
    },
  );
  app.get<{ Querystring: Static<typeof SessionsQuery> }>(
    '/v1/admin/sessions',
    { onRequest, schema: { querystring: SessionsQuery, response: replies(SessionsReply) } },
    async (req) => admin.sessions(req.query.limit ?? 1000),
  );
}
