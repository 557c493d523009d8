// One map from whatever a request threw to the answer { error: { code, message } } with that
// code's HTTP status (docs/errors.md), for every fastify server of the gateway:
//   an ItradeError            its own status and code
//   a schema validation       400 with the route's bad-request code, naming the field
//   fastify's own refusals    their status and a registered ITRADE_ERR_HTTP_* code (table below)
//   a Redis outage            503 GATEWAY_NOT_READY (a service is down, not a bug)
//   anything else             a bug: 500 HTTP_INTERNAL, a generic message, one log line at error level
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '../interfaces/http.ts';
import { errorCode, isItradeError, itradeError, type ErrorName, type ItradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { validationMessage, type SchemaError } from './validation.ts';

// fastify's error codes (node_modules/fastify/lib/errors.js) for what the client sent wrong.
const FRAMEWORK: Readonly<Record<string, ErrorName>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'HTTP_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'HTTP_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'HTTP_BAD_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'HTTP_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'HTTP_BAD_REQUEST',
  FST_ERR_BAD_URL: 'HTTP_BAD_REQUEST',
  FST_ERR_INVALID_URL: 'HTTP_BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'HTTP_URL_TOO_LONG',
  FST_ERR_NOT_FOUND: 'HTTP_NOT_FOUND',
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

interface Thrown {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  validation?: SchemaError[];
  validationContext?: string;
}

export class HttpErrors {
  constructor(
    private readonly log: Logger,
    private readonly bodyLimit: number,
  ) {}

  /** The answer to `err`; a bug is logged here, once. */
  toItradeError(err: unknown, req: FastifyRequest): ItradeError {
    if (isItradeError(err)) return err;
    const e = (err ?? {}) as Thrown;
    if (Array.isArray(e.validation)) {
      const name = req.routeOptions?.config?.badRequest ?? 'BROKER_BAD_REQUEST';
      return itradeError(name, validationMessage(e.validation, e.validationContext ?? 'body'));
    }
    const framework = typeof e.code === 'string' ? FRAMEWORK[e.code] : undefined;
    if (framework) return itradeError(framework, this.detail(framework, req));
    if (isRedisOutage(e)) return itradeError('GATEWAY_NOT_READY', 'Redis does not answer: retry later', { cause: err });
    // fastify and its body reader mark what the client did wrong with a 4xx status (an aborted upload).
    if (typeof e.code === 'string' && e.code.startsWith('FST_') && isClientStatus(e.statusCode))
      return itradeError('HTTP_BAD_REQUEST', String(e.message), { cause: err });
    this.log.error({ err, method: req.method, url: req.url }, 'http request failed: a bug in the gateway');
    return itradeError('HTTP_INTERNAL', undefined, { cause: err });
  }

  send(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const e = this.toItradeError(err, req);
    if (e.httpStatus >= 500 && e.code !== errorCode('HTTP_INTERNAL'))
      this.log.warn({ code: e.code, err: e.message, route: req.routeOptions?.url }, 'http request failed');
    req.routeOptions?.config?.refused?.(e.code);
    return reply.status(e.httpStatus).send({ error: { code: e.code, message: e.message } });
  }

  /** No route for this path (404), or none for this method (405 with Allow). */
  notFound(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = req.url.split('?')[0]!;
    const allow = METHODS.filter((m) => m !== req.method && app.findRoute({ method: m, url: path }));
    const shown = `${req.method} ${path.slice(0, 200)}`;
    if (allow.length === 0) return this.send(itradeError('HTTP_NOT_FOUND', `no route ${shown}`), req, reply);
    void reply.header('allow', allow.join(', '));
    return this.send(itradeError('HTTP_METHOD_NOT_ALLOWED', `${shown}: use ${allow.join(', ')}`), req, reply);
  }

  private detail(name: ErrorName, req: FastifyRequest): string | undefined {
    if (name === 'HTTP_BODY_TOO_LARGE') return `the request body is larger than ${this.bodyLimit / 1024} KiB`;
    if (name === 'HTTP_MEDIA_TYPE')
      return `Content-Type ${req.headers['content-type'] ?? '(none)'} is not accepted: send application/json`;
    return undefined;
  }
}

function isClientStatus(s: unknown): boolean {
  return typeof s === 'number' && s >= 400 && s < 500;
}

// ioredis gives up on a command after maxRetriesPerRequest reconnects, or when the connection
// closes under it: Redis is down or unreachable, which the operator sees on /readyz too.
function isRedisOutage(e: Thrown): boolean {
  return e.name === 'MaxRetriesPerRequestError' || e.message === 'Connection is closed.';
}
