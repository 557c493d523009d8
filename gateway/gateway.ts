// Composition root: one gateway process = the MQTT broker + the HTTP API + the chain adapter +
// the meter + the Kafka bridge + the key service + the operator endpoint (/metrics, /healthz,
// /readyz), wired from one validated configuration, with one metrics registry. The bridge and
// the key service plug in through the optional PublishListener / BuyerRequestHandler /
// SellerMessageHandler. close() is the graceful shutdown (docs/operations.md, "Shutdown").
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { ItradeConfig } from '../config/schema.ts';
import type {
  BuyerChannel,
  BuyerRequestHandler,
  Entitlements,
  PrincipalDirectory,
  PublishListener,
  SellerChannel,
  SellerMessageHandler,
} from '../interfaces/layers.ts';
import { ChallengeStore } from '../auth/challenge.ts';
import { jwtSecret } from '../auth/dev-secret.ts';
import { TokenService } from '../auth/jwt.ts';
import { RevocationStore } from '../auth/revocation.ts';
import { ChainEntitlements, type SensorRegistration } from '../chain/entitlements.ts';
import { createChainMetrics } from '../chain/metrics.ts';
import { bearer, buildApi } from '../http/api.ts';
import { RedisMeter } from '../metering/meter.ts';
import { NetworkPolicy } from '../sovereignty/network.ts';
import { createBroker, type BrokerHandle, type MqttPorts } from '../broker/server.ts';
import type { Bridge } from '../bridge/bridge.ts';
import { componentLogger, createLogger, type Logger } from '../lib/log.ts';
import { LocalStack, type Endpoints } from '../stack/stack.ts';
import { guardApi } from '../http/guard.ts';
import type { KeyService } from '../keys/key-service.ts';
import { buildOperatorApi } from '../operator/endpoint.ts';
import { Readiness, chainCheck, kafkaCheck, redisCheck, type ReadyReport } from '../operator/ready.ts';
import { listenHttp, locateMarketplace, plugServices, replayMeter, type Plugged } from './services.ts';
import { Teardown } from './teardown.ts';

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
  // A bad CIDR fails here, before anything is connected.
  const network = new NetworkPolicy(cfg.sovereignty);
  const ep = new LocalStack(cfg, root).endpoints();
  const registry = deps.registry ?? new Registry();
  if (!deps.registry) collectDefaultMetrics({ register: registry, prefix: 'itrade_' });
  const redis = new Redis(ep.redisUrl);
  const sub = new Redis(ep.redisUrl);
  // Without a listener an ioredis error event throws; ioredis reconnects by itself.
  const log = componentLogger(root, 'gateway');
  for (const [conn, what] of [
    [redis, 'commands'],
    [sub, 'revocation events'],
  ] as const) {
    conn.on('error', (err: Error) => log.warn({ err: err.message, what }, 'redis connection error; reconnecting'));
  }
  const teardown = new Teardown();
  teardown.set('redis', () => Promise.all([redis.quit(), sub.quit()]));
  try {
    const core = await startCore(cfg, deps, {
      root,
      ep,
      registry,
      redis,
      sub,
      teardown,
      network: network.restricted ? network : undefined,
    });
    const ends = await startEndpoints(cfg, core);
    const { broker, services } = core;
    log.info(
      {
        mqtt: broker.ports,
        http: ends.httpPort,
        operator: ends.operatorPort,
        region: cfg.sovereignty.region || undefined,
        id: broker.aedes.id,
      },
      'gateway started',
    );
    let closed: Promise<void> | undefined;
    return {
      mqtt: broker.ports,
      httpPort: ends.httpPort,
      operatorPort: ends.operatorPort,
      tokens: core.tokens,
      meter: core.meter,
      entitlements: core.chain,
      principals: core.chain instanceof ChainEntitlements ? core.chain : undefined,
      buyers: broker.buyers,
      sellers: broker.sellers,
      broker,
      bridge: services.bridge,
      keys: services.keys,
      registry,
      ready: () => ends.readiness.report(),
      close: () => (closed ??= shutdown(cfg, core, ends)),
    };
  } catch (err) {
    await teardown.run(() => undefined);
    throw err;
  }
}

interface Base {
  root: Logger;
  ep: Endpoints;
  registry: Registry;
  redis: Redis;
  sub: Redis;
  teardown: Teardown;
  network: NetworkPolicy | undefined;
}

interface Core extends Base {
  tokens: TokenService;
  revocations: RevocationStore;
  chain: NonNullable<GatewayDeps['entitlements']>;
  marketplace: string | undefined;
  meter: RedisMeter;
  services: Plugged;
  broker: BrokerHandle;
}

/** Tokens, revocations, the chain adapter, the meter, the bridge and key service, the broker. */
async function startCore(cfg: ItradeConfig, deps: GatewayDeps, base: Base): Promise<Core> {
  const { root, ep, registry, redis, sub, teardown } = base;
  const b = cfg.broker;
  const prefix = cfg.redis.keyPrefix;
  const log = componentLogger(root, 'broker');
  const tokens = await TokenService.create(b.auth.jwt, await jwtSecret(cfg, redis, { create: true, log }));
  const revocations = new RevocationStore(
    redis,
    sub,
    prefix,
    Math.max(b.auth.principalTokenTtlSec, b.auth.sensorTokenTtlSec, b.auth.operatorTokenTtlSec),
    log,
  );
  await revocations.start();
  const chainLog = componentLogger(root, 'chain');
  const market = deps.entitlements ? undefined : locateMarketplace(cfg, chainLog);
  const chain =
    deps.entitlements ??
    new ChainEntitlements(
      { rpcUrl: ep.rpcUrl, ...b.entitlements, ...market!, observer: createChainMetrics(registry) },
      redis,
      prefix,
      chainLog,
    );
  if (chain instanceof ChainEntitlements) {
    chain.start();
    teardown.set('chain', () => chain.stop());
  }
  const meter = new RedisMeter(redis, prefix, chain);
  let live: Pick<BrokerHandle, 'reclaimCredit' | 'leaseCredit'> = { reclaimCredit: () => 0, leaseCredit: () => 0 };
  const services = plugServices(cfg, deps, {
    chain,
    meter: replayMeter(meter, () => live),
    redis,
    registry,
    kafkaBrokers: ep.kafkaBrokers,
    log: root,
  });
  teardown.set('bridge and key service', () => services.close(cfg.operator.shutdown.drainTimeoutMs));
  const { publishListener, buyerHandler, sellerHandler } = services;
  const brokerDeps = {
    tokens,
    revocations,
    entitlements: chain,
    meter,
    metering: b.metering,
    publishListener,
    buyerHandler,
    sellerHandler,
    log,
    registry,
    network: base.network,
  };
  const broker = await createBroker(
    { cfg: b, redisUrl: ep.redisUrl, keyPrefix: prefix, id: deps.brokerId },
    brokerDeps,
  );
  live = broker;
  services.channel.bind(broker.buyers);
  services.sellerChannel.bind(broker.sellers);
  teardown.set('broker sessions', () => broker.close());
  return { ...base, tokens, revocations, chain, marketplace: market?.marketplace, meter, services, broker };
}

interface GatewayEndpoints {
  readiness: Readiness;
  api: FastifyInstance | undefined;
  httpPort: number | undefined;
  operatorPort: number | undefined;
  closing: { value: boolean };
}

/** The operator endpoint (/metrics, /healthz, /readyz) and the public HTTP API. */
async function startEndpoints(cfg: ItradeConfig, core: Core): Promise<GatewayEndpoints> {
  const { ep, registry, redis, teardown, services } = core;
  const bridge = services.bridge;
  const kafka = kafkaCheck(
    ep.kafkaBrokers,
    cfg.kafka.clientId,
    bridge ? () => bridge.bufferState().kafkaAvailable : undefined,
  );
  const readiness = new Readiness(
    [redisCheck(redis), kafka, chainCheck(ep.rpcUrl, core.marketplace)],
    cfg.operator.readyTimeoutMs,
  );
  teardown.set('readiness checks', () => readiness.close());
  const closing = { value: false };
  let operatorPort: number | undefined;
  if (cfg.operator.http.enabled) {
    const op = buildOperatorApi({
      registry,
      readiness,
      closing: () => closing.value,
      started: Date.now(),
      log: componentLogger(core.root, 'operator'),
    });
    operatorPort = await listenHttp(op, cfg.operator.http.host, cfg.operator.http.port, 'operator.http');
    teardown.set('operator endpoint', () => op.close());
  }
  const api = cfg.broker.http.enabled ? await publicApi(cfg, core) : undefined;
  const httpPort = api ? await listenHttp(api, cfg.broker.http.host, cfg.broker.http.port, 'broker.http') : undefined;
  return { readiness, api, httpPort, operatorPort, closing };
}

async function publicApi(cfg: ItradeConfig, core: Core): Promise<FastifyInstance> {
  const { tokens, revocations, chain, services, redis, registry, root } = core;
  const b = cfg.broker;
  const challenges = new ChallengeStore(redis, cfg.redis.keyPrefix, {
    ttlSec: b.auth.challengeTtlSec,
    domain: b.auth.siweDomain,
    uri: b.auth.siweUri,
    chainId: b.entitlements.chainId,
  });
  const ttl = { principal: b.auth.principalTokenTtlSec, sensor: b.auth.sensorTokenTtlSec };
  const api = buildApi({
    tokens,
    challenges,
    revocations,
    entitlements: chain,
    registrations: chain,
    publishListener: services.publishListener,
    ttl,
    log: componentLogger(root, 'broker'),
  });
  guardApi(api, { network: core.network, region: cfg.sovereignty.region, registry, log: componentLogger(root, 'api') });
  if (services.bridge)
    await api.register(
      services.bridge.httpRoutes(async (req) => (await bearer({ tokens, revocations }, req, 'principal')).sub),
    );
  core.teardown.set('http api', () => api.close());
  return api;
}

/** The graceful shutdown (docs/operations.md, "Shutdown"). */
async function shutdown(cfg: ItradeConfig, core: Core, ends: GatewayEndpoints): Promise<void> {
  const log = componentLogger(core.root, 'gateway');
  const { broker, teardown } = core;
  const drainMs = cfg.operator.shutdown.drainTimeoutMs;
  const t0 = Date.now();
  ends.closing.value = true;
  // 1. No new connections anywhere; fastify answers 503 on open keep-alive connections.
  broker.stopAccepting();
  const apiClosed = ends.api?.close();
  if (apiClosed) teardown.set('http api', () => apiClosed);
  log.info(
    { inFlight: broker.ctx.inflight.size, drainTimeoutMs: drainMs },
    'shutting down: listeners closed, finishing in-flight publishes',
  );
  // 2. Publishes inside the broker finish: Kafka acknowledges them and their PUBACKs go out.
  const left = await broker.drain(drainMs);
  if (left > 0)
    log.warn(
      { unacknowledged: left },
      'in-flight publishes still waiting for Kafka: they get no PUBACK, devices resend them',
    );
  // 3. sessions, 4. bridge drain and key service, then the rest (gateway/teardown.ts).
  await teardown.run((name, err) => log.warn({ err, step: name }, 'shutdown step failed'));
  log.info({ ms: Date.now() - t0 }, 'gateway stopped');
}
