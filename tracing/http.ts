// Spans of the public HTTP API: one per request, continuing the caller's trace when it sends a
// W3C `traceparent` (and `tracestate`), named by the route pattern (never the URL: it may carry
// addresses in bulk, and the name must stay a bounded set). A GraphQL request gets the operation's
// name and type, and a child span for its execution. Registered only when tracing is on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { childSpan, contextFrom, contextWith, rootSpan, tracingOn, type Span } from './tracing.ts';

const spans = new WeakMap<FastifyRequest, Span>();

/** Adds the request span hooks to the public API (before any other hook, so refusals are traced too). */
export function traceHttp(app: FastifyInstance): void {
  if (!tracingOn()) return;
  app.addHook('onRequest', (req, _reply, done) => {
    const parent = contextFrom(req.headers);
    const span = rootSpan(`${req.method}`, { 'http.request.method': req.method }, parent);
    if (!span) return done();
    spans.set(req, span);
    // The hooks that follow at once run in the span's context (synchronous only, scope.ts); the
    // GraphQL hooks below find the span by the request.
    context.with(contextWith(span, parent), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      const route = req.routeOptions.url ?? 'unmatched';
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

interface GraphqlHooks {
  graphql: {
    addHook(
      name: 'preExecution',
      fn: (schema: unknown, document: DocumentNode, ctx: { reply: { request: FastifyRequest } }) => Promise<void>,
    ): void;
    addHook(
      name: 'onResolution',
      fn: (execution: unknown, ctx: { reply: { request: FastifyRequest } }) => Promise<void>,
    ): void;
  };
}

const executions = new WeakMap<FastifyRequest, Span>();

/** Names a GraphQL request's span by its operation and times the execution (mercurius hooks). */
export function traceGraphql(app: FastifyInstance): void {
  if (!tracingOn()) return;
  const gql = (app as unknown as GraphqlHooks).graphql;
  gql.addHook('preExecution', async (_schema, document, ctx) => {
    const req = ctx.reply.request;
    const span = spans.get(req);
    if (!span) return;
    const op = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    const name = op?.name?.value ?? 'anonymous';
    span.setAttributes({ 'graphql.operation.name': name, 'graphql.operation.type': op?.operation ?? 'query' });
    const exec = childSpan('graphql.execute', { 'graphql.operation.name': name }, contextWith(span));
    if (exec) executions.set(req, exec);
  });
  gql.addHook('onResolution', async (_execution, ctx) => {
    executions.get(ctx.reply.request)?.end();
  });
}
