// Composition root: one gateway process = the MQTT broker + the HTTP API + the chain adapter +
// the meter + the Kafka bridge + the key service + the operator endpoint (/metrics, /healthz,
// /readyz), wired from one validated configuration, with one metrics registry. The bridge and
// the key service plug in through the optional PublishListener / BuyerRequestHandler /
// SellerMessageHandler. close() is the graceful shutdown (docs/operations.md, "Shutdown").
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { ItradeConfig } from '../config/schema.ts';
import type { BuyerChannel, BuyerRequestHandler, Entitlements, PrincipalDirectory, PublishListener, SellerChannel, SellerMessageHandler } from '../core/interfaces.ts';
import { ChallengeStore } from '../broker/auth/challenge.ts';
import { TokenService } from '../broker/auth/jwt.ts';
import { RevocationStore } from '../broker/auth/revocation.ts';
import { ChainEntitlements, type SensorRegistration } from '../broker/chain/entitlements.ts';
import { createChainMetrics } from '../broker/chain/metrics.ts';
import { bearer, buildApi } from '../broker/http/api.ts';
import { RedisMeter } from '../broker/metering/meter.ts';
import { NetworkPolicy } from '../broker/network.ts';
import { createBroker, type BrokerHandle, type MqttPorts } from '../broker/server.ts';
import type { Bridge } from '../bridge/bridge.ts';
import { componentLogger, createLogger, type Logger } from '../lib/log.ts';
import { LocalStack } from '../stack/stack.ts';
import { guardApi } from './api-guard.ts';
import type { KeyService } from './keys/key-service.ts';
import { buildOperatorApi } from './operator.ts';
import { Readiness, chainCheck, kafkaCheck, redisCheck, type ReadyReport } from './ready.ts';
import { jwtSecret, listenHttp, locateMarketplace, plugServices, replayMeter } from './services.ts';

export interface GatewayDeps {
  log?: Logger;
  /** Replaces the chain adapter (unit tests); must also read registrations for activation. */
  entitlements?: Entitlements & { sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> };
  publishListener?: PublishListener;
  buyerHandler?: BuyerRequestHandler;
  sellerHandler?: SellerMessageHandler;
  /** Aedes instance id (default: random). */
  brokerId?: string;
  /** Metrics registry (default: a new one, served on the operator endpoint's /metrics). */
  registry?: Registry;
}

export interface GatewayHandle {
  mqtt: MqttPorts;
  httpPort: number | undefined;
  /** The operator endpoint's port (/metrics, /healthz, /readyz), when enabled. */
  operatorPort: number | undefined;
  tokens: TokenService;
  meter: RedisMeter;
  entitlements: Entitlements;
  /** The chain adapter's principal keys (undefined when deps.entitlements replaced it). */
  principals: PrincipalDirectory | undefined;
  buyers: BuyerChannel;
  sellers: SellerChannel;
  broker: BrokerHandle;
  /** The Kafka bridge, unless deps.publishListener replaced it. */
  bridge: Bridge | undefined;
  keys: KeyService | undefined;
  registry: Registry;
  ready(): Promise<ReadyReport>;
  /** Graceful shutdown; idempotent (a second call returns the first one's promise). */
  close(): Promise<void>;
}

export async function startGateway(cfg: ItradeConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const root = deps.log ?? createLogger({ level: cfg.log.level });
  const log = componentLogger(root, 'broker');
  const glog = componentLogger(root, 'gateway');
  // A bad CIDR fails here, before anything is connected.
  const network = new NetworkPolicy(cfg.sovereignty);
  const ep = new LocalStack(cfg, root).endpoints();
  const prefix = cfg.redis.keyPrefix;
  const redis = new Redis(ep.redisUrl);
  const sub = new Redis(ep.redisUrl);
  const b = cfg.broker;
  const started = Date.now();
  const registry = deps.registry ?? new Registry();
  if (!deps.registry) collectDefaultMetrics({ register: registry, prefix: 'itrade_' });
  const teardown = new Map<Teardown, () => Promise<unknown> | void>([['redis', () => Promise.all([redis.quit(), sub.quit()])]]);
  try {
    const tokens = await TokenService.create(b.auth.jwt, await jwtSecret(cfg, redis, log));
    const maxTtl = Math.max(b.auth.principalTokenTtlSec, b.auth.sensorTokenTtlSec, b.auth.operatorTokenTtlSec);
    const revocations = new RevocationStore(redis, sub, prefix, maxTtl, log);
    await revocations.start();
    const chainLog = componentLogger(root, 'chain');
    const observer = createChainMetrics(registry);
    const market = deps.entitlements ? undefined : locateMarketplace(cfg, chainLog);
    const chain = deps.entitlements ?? new ChainEntitlements({ rpcUrl: ep.rpcUrl, ...b.entitlements, ...market!, observer }, redis, prefix, chainLog);
    if (chain instanceof ChainEntitlements) {
      chain.start();
      teardown.set('chain', () => chain.stop());
    }
    const meter = new RedisMeter(redis, prefix, chain);
    let live: Pick<BrokerHandle, 'reclaimCredit' | 'leaseCredit'> = { reclaimCredit: () => 0, leaseCredit: () => 0 };
    const services = plugServices(cfg, deps, { chain, meter: replayMeter(meter, () => live), redis, registry, kafkaBrokers: ep.kafkaBrokers, log: root });
    const drainMs = cfg.operator.shutdown.drainTimeoutMs;
    teardown.set('bridge and key service', () => services.close(drainMs));
    const policy = network.restricted ? network : undefined;
    const brokerDeps = { tokens, revocations, entitlements: chain, meter, metering: b.metering, publishListener: services.publishListener, buyerHandler: services.buyerHandler, sellerHandler: services.sellerHandler, log, registry, network: policy };
    const broker = await createBroker({ cfg: b, redisUrl: ep.redisUrl, keyPrefix: prefix, id: deps.brokerId }, brokerDeps);
    live = broker;
    services.channel.bind(broker.buyers);
    services.sellerChannel.bind(broker.sellers);
    teardown.set('broker sessions', () => broker.close());

    const readiness = new Readiness(
      [redisCheck(redis), kafkaCheck(ep.kafkaBrokers, cfg.kafka.clientId, services.bridge ? () => services.bridge!.bufferState().kafkaAvailable : undefined), chainCheck(ep.rpcUrl, market?.marketplace)],
      cfg.operator.readyTimeoutMs,
    );
    teardown.set('readiness checks', () => readiness.close());
    let closing = false;
    let operatorPort: number | undefined;
    if (cfg.operator.http.enabled) {
      const op = buildOperatorApi({ registry, readiness, closing: () => closing, started });
      operatorPort = await listenHttp(op, cfg.operator.http.host, cfg.operator.http.port, 'operator.http');
      teardown.set('operator endpoint', () => op.close());
    }
    let api: FastifyInstance | undefined;
    let httpPort: number | undefined;
    if (b.http.enabled) {
      const challenges = new ChallengeStore(redis, prefix, { ttlSec: b.auth.challengeTtlSec, domain: b.auth.siweDomain, uri: b.auth.siweUri, chainId: b.entitlements.chainId });
      api = buildApi({ tokens, challenges, revocations, entitlements: chain, registrations: chain, publishListener: services.publishListener, ttl: { principal: b.auth.principalTokenTtlSec, sensor: b.auth.sensorTokenTtlSec }, log });
      guardApi(api, { network: policy, region: cfg.sovereignty.region, registry, log: componentLogger(root, 'api') });
      if (services.bridge) await api.register(services.bridge.httpRoutes(async (req) => (await bearer({ tokens, revocations }, req, 'principal')).sub));
      const app = api;
      teardown.set('http api', () => app.close());
      httpPort = await listenHttp(api, b.http.host, b.http.port, 'broker.http');
    }
    glog.info({ mqtt: broker.ports, http: httpPort, operator: operatorPort, region: cfg.sovereignty.region || undefined, id: broker.aedes.id }, 'gateway started');

    let closed: Promise<void> | undefined;
    const shutdown = async (): Promise<void> => {
      const t0 = Date.now();
      closing = true;
      // 1. No new connections anywhere; fastify answers 503 on open keep-alive connections.
      broker.stopAccepting();
      const apiClosed = api?.close();
      if (apiClosed) teardown.set('http api', () => apiClosed);
      glog.info({ inFlight: broker.ctx.inflight.size, drainTimeoutMs: drainMs }, 'shutting down: listeners closed, finishing in-flight publishes');
      // 2. Publishes inside the broker finish: Kafka acknowledges them and their PUBACKs go out.
      const left = await broker.drain(drainMs);
      if (left > 0) glog.warn({ unacknowledged: left }, 'in-flight publishes still waiting for Kafka: they get no PUBACK, devices resend them');
      // 3. sessions, 4. bridge drain and key service, then the rest (TEARDOWN_ORDER).
      await runTeardown(teardown, (name, err) => glog.warn({ err, step: name }, 'shutdown step failed'));
      glog.info({ ms: Date.now() - t0 }, 'gateway stopped');
    };
    const close = (): Promise<void> => (closed ??= shutdown());
    return {
      mqtt: broker.ports,
      httpPort,
      operatorPort,
      tokens,
      meter,
      entitlements: chain,
      principals: chain instanceof ChainEntitlements ? chain : undefined,
      buyers: broker.buyers,
      sellers: broker.sellers,
      broker,
      bridge: services.bridge,
      keys: services.keys,
      registry,
      ready: () => readiness.report(),
      close,
    };
  } catch (err) {
    await runTeardown(teardown, () => undefined);
    throw err;
  }
}

// Sessions close before the services (no publish reaches a bridge that is draining); the HTTP
// API waits for the bridge (its history streams end when replays do); the operator endpoint
// stays until the end (/readyz says "shutting down", /metrics stays scrapeable); Redis is last.
const TEARDOWN_ORDER = ['broker sessions', 'bridge and key service', 'chain', 'http api', 'readiness checks', 'operator endpoint', 'redis'] as const;
type Teardown = (typeof TEARDOWN_ORDER)[number];

async function runTeardown(steps: Map<Teardown, () => Promise<unknown> | void>, failed: (name: string, err: unknown) => void): Promise<void> {
  for (const name of TEARDOWN_ORDER) {
    const step = steps.get(name);
    steps.delete(name);
    if (!step) continue;
    try {
      await step();
    } catch (err) {
      failed(name, err);
    }
  }
}
