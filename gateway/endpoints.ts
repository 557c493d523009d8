// The endpoints of the composition root (gateway.ts), started once the broker is up: the
// operator endpoint (/metrics, /healthz, /readyz) with its readiness checks, and the public HTTP
// API with what plugs into it (GraphQL, the bridge's history routes, the web app).
import type { FastifyInstance } from 'fastify';
import { kafkaSecurity } from '../config/clients.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { ChallengeStore } from '../auth/challenge.ts';
import { bearer, buildApi } from '../http/api.ts';
import { guardApi } from '../http/guard.ts';
import { listenHttp } from '../http/server.ts';
import { registerWebApp } from '../http/web-app.ts';
import { resolvePath } from '../lib/paths.ts';
import { buildOperatorApi } from '../operator/endpoint.ts';
import { Readiness, chainCheck, kafkaCheck, redisCheck } from '../operator/ready.ts';
import { RedisAdminDirectory } from '../operator/admin.ts';
import { traceHttp } from '../tracing/http.ts';
import { componentLogger } from '../lib/log.ts';
import type { Core } from './core.ts';

export interface Ends {
  readiness: Readiness;
  api: FastifyInstance | undefined;
  httpPort: number | undefined;
  operatorPort: number | undefined;
  closing: { value: boolean };
}

/** The operator endpoint (/metrics, /healthz, /readyz) and the public HTTP API. */
export async function startEndpoints(cfg: ItradeConfig, core: Core): Promise<Ends> {
  const { ep, teardown, services } = core;
  const bridge = services.bridge;
  const kafka = kafkaCheck(
    ep.kafkaBrokers,
    cfg.kafka.clientId,
    bridge ? () => bridge.bufferState().kafkaAvailable : undefined,
    kafkaSecurity(cfg.kafka),
  );
  const checks = [redisCheck(core.redis), kafka, chainCheck(ep.rpcUrl, core.marketplace)];
  const readiness = new Readiness(checks, cfg.operator.readyTimeoutMs);
  teardown.set('readiness checks', () => readiness.close());
  const closing = { value: false };
  const operatorPort = cfg.operator.http.enabled ? await startOperator(cfg, core, readiness, closing) : undefined;
  const api = cfg.broker.http.enabled ? await publicApi(cfg, core) : undefined;
  const httpPort = api ? await listenHttp(api, cfg.broker.http.host, cfg.broker.http.port, 'broker.http') : undefined;
  return { readiness, api, httpPort, operatorPort, closing };
}

async function startOperator(cfg: ItradeConfig, core: Core, readiness: Readiness, closing: { value: boolean }) {
  const op = buildOperatorApi({
    registry: core.registry,
    readiness,
    closing: () => closing.value,
    started: Date.now(),
    log: componentLogger(core.root, 'operator'),
  });
  const port = await listenHttp(op, cfg.operator.http.host, cfg.operator.http.port, 'operator.http');
  core.teardown.set('operator endpoint', () => op.close());
  return port;
}

async function publicApi(cfg: ItradeConfig, core: Core): Promise<FastifyInstance> {
  const { tokens, revocations, chain, services, root } = core;
  const b = cfg.broker;
  const challenges = new ChallengeStore(core.redis, cfg.redis.keyPrefix, {
    ttlSec: b.auth.challengeTtlSec,
    domain: b.auth.siweDomain,
    uri: b.auth.siweUri,
    chainId: b.entitlements.chainId,
  });
  const ttl = { principal: b.auth.principalTokenTtlSec, sensor: b.auth.sensorTokenTtlSec };
  const apiDeps = {
    tokens,
    challenges,
    revocations,
    entitlements: chain,
    registrations: chain,
    publishListener: services.publishListener,
    admin: new RedisAdminDirectory(core.redis, cfg.redis.keyPrefix),
    ttl,
    log: componentLogger(root, 'broker'),
  };
  const api = buildApi(apiDeps);
  traceHttp(api);
  const log = componentLogger(root, 'api');
  guardApi(api, { network: core.network, region: cfg.sovereignty.region, registry: core.registry, log });
  if (cfg.graphql.enabled)
    await core.catalogue?.serve(api, { api: apiDeps, meter: core.meter, agents: core.broker.agents });
  const verifyBuyer = async (req: Parameters<typeof bearer>[1]) =>
    (await bearer({ tokens, revocations }, req, 'principal')).sub;
  if (services.bridge) await api.register(services.bridge.httpRoutes(verifyBuyer));
  if (cfg.web.enabled) {
    const ws = () => ({ port: core.broker.ports.ws, path: b.listeners.ws.path, tcpPort: core.broker.ports.tcp });
    registerWebApp(api, { dir: resolvePath(cfg.web.dir), mqttUrl: cfg.web.mqttUrl, ws });
  }
  core.teardown.set('http api', () => api.close());
  return api;
}
