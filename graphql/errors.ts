// GraphQL errors in the project's terms (docs/graphql.md, "Errors"): every error carries
// extensions.code (an ITRADE_ERR_... code) and, where the REST API would answer with one,
// extensions.httpStatus. A request that failed as a whole (no data) answers with that status;
// one with data answers 200, as GraphQL over HTTP says. What a resolver threw goes through the one
// HTTP error map (http/errors.ts): a Redis outage is GATEWAY_NOT_READY, anything unknown is a bug,
// logged once and answered HTTP_INTERNAL without its details.
import type { FastifyRequest } from 'fastify';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { ERROR_SPECS } from '../protocol/error-codes.ts';
import { errorFromCode, isItradeError, itradeError, type ErrorSpec, type ItradeError } from '../protocol/errors.ts';
import type { HttpErrors } from '../http/errors.ts';

interface Shown {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: { code: string; httpStatus?: number };
}

const statusOf = (code: string) => (Object.values(ERROR_SPECS) as ErrorSpec[]).find((s) => s.code === code)?.httpStatus;

/** What one error in the list says; `req` for the HTTP error map. */
function classify(
  e: GraphQLError | Error,
  wrapper: string | undefined,
  req: FastifyRequest | undefined,
  errors: HttpErrors,
): ItradeError {
  const g = e instanceof GraphQLError ? e : undefined;
  const own = g?.extensions?.code;
  if (typeof own === 'string') return errorFromCode(own, e.message, 'GRAPHQL_BAD_REQUEST');
  const orig = g ? g.originalError : e;
  if (isItradeError(orig)) return orig;
  const code = (orig as { code?: unknown } | undefined)?.code;
  if (code === 'MER_ERR_GQL_QUERY_DEPTH') return itradeError('GRAPHQL_TOO_DEEP', e.message);
  // Parse and validation errors have no original error; a scalar's refusal is a GraphQLError;
  // what mercurius refused (a mutation by GET) comes wrapped in its own MER_ERR_ error.
  const mercurius = (c: unknown) => typeof c === 'string' && c.startsWith('MER_ERR');
  if (orig === undefined || orig instanceof GraphQLError || mercurius(code) || mercurius(wrapper))
    return itradeError('GRAPHQL_BAD_REQUEST', e.message);
  if (!req) return itradeError('HTTP_INTERNAL');
  return errors.toItradeError(orig, req);
}

function show(e: GraphQLError | Error, t: ItradeError): Shown {
  const g = e instanceof GraphQLError ? e : undefined;
  return {
    message: t.message,
    ...(g?.locations ? { locations: g.locations } : {}),
    ...(g?.path ? { path: g.path } : {}),
    extensions: { code: t.code, ...(t.httpStatus && statusOf(t.code) ? { httpStatus: t.httpStatus } : {}) },
  };
}

/** mercurius' errorFormatter. */
export function errorFormatter(errors: HttpErrors) {
  return (execution: ExecutionResult & { statusCode?: number }, ctx: MercuriusContext) => {
    const req = ctx.reply?.request;
    // mercurius wraps parse, validation and depth errors in one error whose `errors` are the real ones.
    const flat = (execution.errors ?? []).flatMap((e) => {
      const o = e.originalError as { errors?: unknown; code?: unknown } | undefined;
      const wrapper = typeof o?.code === 'string' ? o.code : undefined;
      return Array.isArray(o?.errors)
        ? (o.errors as Error[]).map((x) => [x, wrapper] as const)
        : [[e, undefined] as const];
    });
    const typed = flat.map(([e, w]) => [e, classify(e, w, req, errors)] as const);
    const shown = typed.map(([e, t]) => show(e, t));
    const statusCode = execution.data ? 200 : (typed[0]?.[1].httpStatus ?? 400);
    return { statusCode, response: { data: execution.data ?? null, errors: shown } };
  };
}
