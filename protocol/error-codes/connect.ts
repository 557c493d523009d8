// Error codes of the front door: MQTT CONNECT and sign-in (identities), the broker's refusals,
// and the chain adapter when it cannot answer a CONNECT or a request.
// One part of the registry: protocol/error-codes.ts merges the parts; add a code here and to
// docs/errors.md (a test keeps the two in step).
import type { ErrorSpec } from '../errors.ts';
import { spec } from './spec.ts';

export const CONNECT_ERRORS = {
  // --- broker (MQTT front door, identities, HTTP API) and chain adapter ---
  AUTH_TOKEN_MISSING: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_MISSING',
    message: 'no token: the MQTT password (or the HTTP bearer) must be a JWT',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_INVALID',
    message: 'the token is malformed, not signed by this gateway, or uses another algorithm',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_EXPIRED: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_EXPIRED',
    message: 'the token has expired',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_TOKEN_REVOKED: spec({
    code: 'ITRADE_ERR_AUTH_TOKEN_REVOKED',
    message: 'the token was revoked by the operator',
    mqttReturnCode: 4,
    httpStatus: 401,
  }),
  AUTH_USERNAME_MISMATCH: spec({
    code: 'ITRADE_ERR_AUTH_USERNAME_MISMATCH',
    message: 'the MQTT username is not the subject of the token',
    mqttReturnCode: 4,
  }),
  AUTH_CLIENT_ID_REJECTED: spec({
    code: 'ITRADE_ERR_AUTH_CLIENT_ID_REJECTED',
    message: 'the MQTT client id does not belong to the token subject',
    mqttReturnCode: 2,
  }),
  AUTH_CERT_MISMATCH: spec({
    code: 'ITRADE_ERR_AUTH_CERT_MISMATCH',
    message: 'the client certificate does not name this sensor',
    mqttReturnCode: 5,
  }),
  AUTH_NOT_AUTHORISED: spec({
    code: 'ITRADE_ERR_AUTH_NOT_AUTHORISED',
    message: 'the identity is genuine but may not do this now',
    mqttReturnCode: 5,
    httpStatus: 403,
  }),
  AUTH_CHALLENGE_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_CHALLENGE_INVALID',
    message: 'the login challenge is unknown, expired or already used',
    httpStatus: 401,
  }),
  AUTH_SIGNATURE_INVALID: spec({
    code: 'ITRADE_ERR_AUTH_SIGNATURE_INVALID',
    message: 'the signature does not recover the challenged account',
    httpStatus: 401,
  }),
  AUTH_NOT_PRINCIPAL: spec({
    code: 'ITRADE_ERR_AUTH_NOT_PRINCIPAL',
    message: 'the account owns no DataStreamPrincipal on the marketplace',
    httpStatus: 403,
  }),
  AUTH_CONFIG: spec({ code: 'ITRADE_ERR_AUTH_CONFIG', message: 'the token signing configuration is unusable' }),
  BROKER_BAD_REQUEST: spec({
    code: 'ITRADE_ERR_BROKER_BAD_REQUEST',
    message: 'the request body is invalid',
    httpStatus: 400,
  }),
  BROKER_ACTIVATION_REJECTED: spec({
    code: 'ITRADE_ERR_BROKER_ACTIVATION_REJECTED',
    message: 'the transaction does not register an active sensor of the caller',
    httpStatus: 422,
  }),
  BROKER_PUBLISH_DENIED: spec({
    code: 'ITRADE_ERR_BROKER_PUBLISH_DENIED',
    message: 'this client may not publish to that topic',
  }),
  BROKER_PUBLISH_FAILED: spec({
    code: 'ITRADE_ERR_BROKER_PUBLISH_FAILED',
    message: 'the publish was not taken by the history store',
  }),
  BROKER_LISTENER: spec({ code: 'ITRADE_ERR_BROKER_LISTENER', message: 'an MQTT or HTTP listener cannot start' }),
  CHAIN_UNAVAILABLE: spec({
    code: 'ITRADE_ERR_CHAIN_UNAVAILABLE',
    message: 'the chain cannot be asked and nothing is cached',
    mqttReturnCode: 3,
    httpStatus: 503,
  }),
} as const satisfies Record<string, ErrorSpec>;
