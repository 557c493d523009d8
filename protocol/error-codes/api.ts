// Error codes of the HTTP API, the GraphQL API and the web app.
// One part of the registry: protocol/error-codes.ts merges the parts; add a code here and to
// docs/errors.md (a test keeps the two in step).
import type { ErrorSpec } from '../errors.ts';
import { spec } from './spec.ts';

export const API_ERRORS = {
  // --- HTTP API (public API and operator endpoint: what fastify refuses before any route runs) ---
  HTTP_BODY_TOO_LARGE: spec({
    code: 'ITRADE_ERR_HTTP_BODY_TOO_LARGE',
    message: 'the request body is larger than the API accepts',
    httpStatus: 413,
  }),
  HTTP_BAD_JSON: spec({
    code: 'ITRADE_ERR_HTTP_BAD_JSON',
    message: 'the request body is not valid JSON',
    httpStatus: 400,
  }),
  HTTP_MEDIA_TYPE: spec({
    code: 'ITRADE_ERR_HTTP_MEDIA_TYPE',
    message: 'the request body must be JSON (Content-Type: application/json)',
    httpStatus: 415,
  }),
  HTTP_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_HTTP_BAD_REQUEST',
    message: 'the request is malformed (URL encoding, Content-Length)',
    httpStatus: 400,
  }),
  HTTP_URL_TOO_LONG: spec({
    code: 'ITRADE_ERR_HTTP_URL_TOO_LONG',
    message: 'a path parameter is longer than the API accepts',
    httpStatus: 414,
  }),
  HTTP_NOT_FOUND: spec({ code: 'ITRADE_ERR_HTTP_NOT_FOUND', message: 'no such route', httpStatus: 404 }),
  HTTP_METHOD_NOT_ALLOWED: spec({
    code: 'ITRADE_ERR_HTTP_METHOD_NOT_ALLOWED',
    message: 'the route does not take this method',
    httpStatus: 405,
  }),
  HTTP_INTERNAL: spec({
    code: 'ITRADE_ERR_HTTP_INTERNAL',
    message: 'internal error: the gateway could not serve the request (logged for the operator)',
    httpStatus: 500,
  }),

  // --- GraphQL API (docs/graphql.md) ---
  GRAPHQL_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_GRAPHQL_BAD_REQUEST',
    message: 'the GraphQL request does not parse or does not fit the schema',
    httpStatus: 400,
  }),
  GRAPHQL_BAD_ARGUMENT: spec({
    code: 'ITRADE_ERR_GRAPHQL_BAD_ARGUMENT',
    message: 'a GraphQL argument is out of range',
    httpStatus: 400,
  }),
  GRAPHQL_TOO_DEEP: spec({
    code: 'ITRADE_ERR_GRAPHQL_TOO_DEEP',
    message: 'the GraphQL query nests deeper than the gateway allows',
    httpStatus: 400,
  }),
  GRAPHQL_TOO_COSTLY: spec({
    code: 'ITRADE_ERR_GRAPHQL_TOO_COSTLY',
    message: 'the GraphQL query would cost more than the gateway allows',
    httpStatus: 400,
  }),
  WEB_WALLET: spec({
    code: 'ITRADE_ERR_WEB_WALLET',
    message: 'the web app has no wallet to use (an EIP-1193 provider), or it gave no account',
  }),
  WEB_KEY_MISSING: spec({
    code: 'ITRADE_ERR_WEB_KEY_MISSING',
    message: "this browser does not hold the principal's private key (import its backup file)",
  }),
  WEB_APP_NOT_BUILT: spec({
    code: 'ITRADE_ERR_WEB_APP_NOT_BUILT',
    message: 'the web app is not built (npm run build:web)',
    httpStatus: 404,
  }),
} as const satisfies Record<string, ErrorSpec>;
