// The operator endpoint (operator.http): Prometheus scrapes /metrics, the load balancer or
// kubelet asks /healthz (liveness: the process answers) and /readyz (readiness: Redis, Kafka and
// the chain answer, and no shutdown has begun). A port of its own, on 127.0.0.1 by default, so
// the public API never exposes metrics. Errors and unknown routes answer as the public API does.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ERROR_REPLIES } from '../interfaces/http.ts';
import { ERROR_SPECS } from '../protocol/error-codes.ts';
import type { Logger } from '../lib/log.ts';
import { createHttpServer } from '../http/server.ts';
import type { Readiness } from './ready.ts';

export interface OperatorDeps {
  registry: Registry;
  readiness: Readiness;
  /** True once shutdown has begun: /readyz answers 503 so the load balancer stops sending. */
  closing: () => boolean;
  started: number;
  log: Logger;
}

const HealthReply = Type.Object({ status: Type.Literal('ok'), uptimeSec: Type.Integer() });
const ReadyReply = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready'), Type.Literal('shutting-down')]),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.String(), ms: Type.Number() })),
  ),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
const MetricsReply = Type.String({ description: 'the Prometheus text exposition format' });

export function buildOperatorApi(deps: OperatorDeps): FastifyInstance {
  const app = createHttpServer({ log: deps.log });

  app.get('/metrics', { schema: { response: { 200: MetricsReply, ...ERROR_REPLIES } } }, async (_req, reply) => {
    void reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });

  app.get('/healthz', { schema: { response: { 200: HealthReply, ...ERROR_REPLIES } } }, async () => ({
    status: 'ok' as const,
    uptimeSec: Math.round((Date.now() - deps.started) / 1000),
  }));

  app.get(
    '/readyz',
    { schema: { response: { 200: ReadyReply, 503: ReadyReply, ...ERROR_REPLIES } } },
    async (_req, reply) => {
      if (deps.closing()) {
        const { code, message } = ERROR_SPECS.GATEWAY_SHUTTING_DOWN;
        return reply.status(503).send({ status: 'shutting-down', error: { code, message } });
      }
      const r = await deps.readiness.report();
      if (r.ready) return { status: 'ready' as const, checks: r.checks };
      const failed = Object.entries(r.checks)
        .filter(([, c]) => !c.ok)
        .map(([name]) => name);
      const message = `not answering: ${failed.join(', ')}`;
      return reply
        .status(503)
        .send({ status: 'not-ready', checks: r.checks, error: { code: ERROR_SPECS.GATEWAY_NOT_READY.code, message } });
    },
  );

  return app;
}
