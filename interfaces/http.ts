// What a route tells the one HTTP error handler (http/errors.ts) through its fastify route
// config, so plugins of other layers (the bridge's history route) need not know that handler:
//   app.get(url, { schema, config: { badRequest: 'REPLAY_BAD_REQUEST', refused: count } }, handler)
import { Type } from '@sinclair/typebox';
import type { ErrorName } from '../protocol/errors.ts';

/** The body of every refusal, whichever route or layer it comes from. */
export const ErrorReply = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'a registered error code (docs/errors.md) and what was wrong' },
);

/** The response schemas of every error status, for a route's `schema.response`. */
export const ERROR_REPLIES = { '4xx': ErrorReply, '5xx': ErrorReply } as const;

export interface RouteErrorConfig {
  /** The code a schema validation failure of this route answers with (default BROKER_BAD_REQUEST). */
  badRequest?: ErrorName;
  /** Told the code of every error this route answers with (metrics). */
  refused?: (code: string) => void;
}

declare module 'fastify' {
  interface FastifyContextConfig extends RouteErrorConfig {}
}
