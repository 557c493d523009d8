// The GraphQL API on the public HTTP server (docs/graphql.md): mercurius with the committed
// schema (graphql/schema.graphql), the catalogue's, me's and the mutations' resolvers, and the
// limits every query is checked against before it runs (depth, cost, no batches, mutations
// only by POST). It is a plugin of the same fastify instance as the REST routes, so the network
// policy, metrics and error map of every route apply (http/guard.ts).
import type { FastifyInstance } from 'fastify';
import { GraphQLScalarType, NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import mercurius, { type IResolvers } from 'mercurius';
import type { Logger } from '../lib/log.ts';
import { HttpErrors } from '../http/errors.ts';
import { requestContext, type GraphqlDeps } from './context.ts';
import { errorFormatter } from './errors.ts';
import { costRule, depthRule } from './limits.ts';
import { authResolvers } from './resolvers/auth.ts';
import { catalogueLoaders, catalogueResolvers } from './resolvers/catalogue.ts';
import { meResolvers } from './resolvers/me.ts';
import { describedScalars } from './scalars.ts';
import { readSdl } from './sdl-docs.ts';
import { traceGraphql } from '../tracing/http.ts';

export type { GraphqlDeps } from './context.ts';

/** The resolvers of every part, type by type (each part adds fields; scalars are whole). */
function merged(...parts: IResolvers[]): IResolvers {
  const out: Record<string, object> = {};
  for (const p of parts)
    for (const [type, r] of Object.entries(p))
      out[type] = r instanceof GraphQLScalarType ? r : { ...out[type], ...(r as object) };
  return out as IResolvers;
}

export async function registerGraphql(app: FastifyInstance, deps: GraphqlDeps, log: Logger): Promise<void> {
  const { limits } = deps;
  const sdl = readSdl();
  const rules = (variables: Record<string, unknown> | undefined): ValidationRule[] => [
    depthRule(limits.maxDepth),
    costRule(limits, variables),
    ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  await app.register(mercurius, {
    schema: sdl,
    resolvers: merged(describedScalars(sdl), catalogueResolvers, meResolvers, authResolvers),
    loaders: catalogueLoaders,
    context: (req) => requestContext(deps, req),
    path: '/graphql',
    graphiql: false,
    ide: false,
    // The cost rule needs each request's variables, which mercurius' parse cache cannot take.
    cache: false,
    allowBatchedQueries: false,
    validationRules: ({ variables }) => rules(variables as Record<string, unknown> | undefined),
    errorFormatter: errorFormatter(new HttpErrors(log, 16 * 1024)) as never,
  });
  traceGraphql(app);
}
