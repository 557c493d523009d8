// The operator endpoint (operator.http): Prometheus scrapes /metrics, the load balancer or
// kubelet asks /healthz (liveness: the process answers) and /readyz (readiness: Redis, Kafka and
// the chain answer, and no shutdown has begun). A port of its own, on 127.0.0.1 by default, so
// the public HTTP API never exposes metrics.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ERROR_SPECS } from '../protocol/error-codes.ts';
import type { Readiness } from './ready.ts';

export interface OperatorDeps {
  registry: Registry;
  readiness: Readiness;
  /** True once shutdown has begun: /readyz answers 503 so the load balancer stops sending. */
  closing: () => boolean;
  started: number;
}

export function buildOperatorApi(deps: OperatorDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });

  app.get('/healthz', async () => ({ status: 'ok', uptimeSec: Math.round((Date.now() - deps.started) / 1000) }));

  app.get('/readyz', async (_req, reply) => {
    if (deps.closing()) {
      return reply.status(503).send({
        status: 'shutting-down',
        error: { code: ERROR_SPECS.GATEWAY_SHUTTING_DOWN.code, message: ERROR_SPECS.GATEWAY_SHUTTING_DOWN.message },
      });
    }
    const r = await deps.readiness.report();
    if (r.ready) return { status: 'ready', checks: r.checks };
    const failed = Object.entries(r.checks)
      .filter(([, c]) => !c.ok)
      .map(([name]) => name);
    const message = `not answering: ${failed.join(', ')}`;
    return reply
      .status(503)
      .send({ status: 'not-ready', checks: r.checks, error: { code: ERROR_SPECS.GATEWAY_NOT_READY.code, message } });
  });

  return app;
}
