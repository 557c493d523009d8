// Composition root: one gateway process = the MQTT broker + the HTTP API + the chain adapter +
// the meter + the Kafka bridge + the key service + the operator endpoint (/metrics, /healthz,
// /readyz), wired from one validated configuration, with one metrics registry. Redis, Kafka and
// the node come from the configuration or from the caller (config/endpoints.ts): this file asks
// no development stack. The bridge and the key service plug in through the optional
// PublishListener / BuyerRequestHandler / SellerMessageHandler (gateway/wiring.ts). close() is
// the graceful shutdown (gateway/teardown.ts).
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { configuredEndpoints, type Endpoints } from '../config/endpoints.ts';
import { kafkaSecurity, redisSecurity } from '../config/clients.ts';
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
import { locateMarketplace } from '../contracts/deployment.ts';
import { bearer, buildApi } from '../http/api.ts';
import { guardApi } from '../http/guard.ts';
import { listenHttp } from '../http/server.ts';
import { RedisCursorStore } from '../metering/cursors.ts';
import { CursorMeter } from '../metering/meter.ts';
import { registerWebApp } from '../http/web-app.ts';
import { resolvePath } from '../lib/paths.ts';
import type { NetworkPolicy } from '../sovereignty/network.ts';
import { sovereigntyPolicy } from '../sovereignty/countries.ts';
import { createBroker, type BrokerHandle, type MqttPorts } from '../broker/server.ts';
import type { Bridge } from '../bridge/bridge.ts';
import type { KeyService } from '../keys/key-service.ts';
import { buildOperatorApi } from '../operator/endpoint.ts';
import { Readiness, chainCheck, kafkaCheck, redisCheck, type ReadyReport } from '../operator/ready.ts';
import { RedisAdminDirectory } from '../operator/admin.ts';
import { componentLogger, createLogger, type Logger } from '../lib/log.ts';
import { Teardown, shutdown } from './teardown.ts';
import { connectRedis, plugServices, startRoster, type Plugged } from './wiring.ts';
import { startCatalogue, type CatalogueHandle } from './catalogue.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing } from '../tracing/tracing.ts';
import { traceHttp } from '../tracing/http.ts';
import { preflight } from './preflight.ts';
import { enforceProfile } from '../config/audit.ts';

export interface GatewayDeps {
  log?: Logger;
  /** Redis, Kafka and the node, when the configuration leaves them empty (the CLI passes the local stack's). */
  endpoints?: Endpoints;
  /** Replaces the chain adapter (unit tests); must also read registrations for activation. */
  entitlements?: Entitlements & { sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> };
  publishListener?: PublishListener;
  buyerHandler?: BuyerRequestHandler;
  sellerHandler?: SellerMessageHandler;
  /** Aedes instance id (default: random). */
  brokerId?: string;
  /** Metrics registry (default: a new one, served on the operator endpoint's /metrics). */
  registry?: Registry;
  /** Replaces the OTLP exporter when tracing is enabled (tests: the SDK's InMemorySpanExporter). */
  traceExporter?: SpanExporter;
}

export interface GatewayHandle {
  mqtt: MqttPorts;
  httpPort: number | undefined;
  /** The operator endpoint's port (/metrics, /healthz, /readyz), when enabled. */
  operatorPort: number | undefined;
  tokens: TokenService;
  meter: CursorMeter;
  entitlements: Entitlements;
  /** The chain adapter's principal keys (undefined when deps.entitlements replaced it). */
  principals: PrincipalDirectory | undefined;
  buyers: BuyerChannel;
  sellers: SellerChannel;
  broker: BrokerHandle;
  /** The Kafka bridge, unless deps.publishListener replaced it. */
  bridge: Bridge | undefined;
  keys: KeyService | undefined;
  /** The catalogue index behind the GraphQL API (with the real chain adapter). */
  catalogue: CatalogueHandle | undefined;
  registry: Registry;
  ready(): Promise<ReadyReport>;
  /** Graceful shutdown; idempotent (a second call returns the first one's promise). */
  close(): Promise<void>;
}

type Chain = NonNullable<GatewayDeps['entitlements']>;

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
  chain: Chain;
  marketplace: string | undefined;
  /** The catalogue index and the GraphQL API (with the real chain adapter only). */
  catalogue: CatalogueHandle | undefined;
  meter: CursorMeter;
  services: Plugged;
  broker: BrokerHandle;
}

interface Ends {
  readiness: Readiness;
  api: FastifyInstance | undefined;
  httpPort: number | undefined;
  operatorPort: number | undefined;
  closing: { value: boolean };
}

export async function startGateway(cfg: ItradeConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const root = deps.log ?? createLogger({ level: cfg.log.level });
  // A bad CIDR or an endpoint nobody named fails here, before anything is connected.
  const network = sovereigntyPolicy(cfg.sovereignty);
  const findings = enforceProfile(cfg);
  const ep = configuredEndpoints(cfg, deps.endpoints);
  const registry = deps.registry ?? new Registry();
  if (!deps.registry) collectDefaultMetrics({ register: registry, prefix: 'itrade_' });
  const teardown = new Teardown();
  const tracing = startTracing(cfg.tracing, deps.traceExporter);
  if (tracing) teardown.set('tracing', () => tracing.close());
  const log = componentLogger(root, 'gateway');
  for (const { key, why } of findings) log.warn({ key, why }, 'insecure setting');
  const [redis, sub] = connectRedis(ep.redisUrl, log, teardown, redisSecurity(cfg.redis));
  try {
    await preflight(cfg, ep, redis, log);
    // Also without rules: trusted proxies decide whose PROXY header and X-Forwarded-For count.
    const restricted = network.restricted || cfg.sovereignty.trustedProxies.length > 0 ? network : undefined;
    const core = await startCore(cfg, deps, { root, ep, registry, redis, sub, teardown, network: restricted });
    const ends = await startEndpoints(cfg, core);
    const [mqtt, http, operator] = [core.broker.ports, ends.httpPort, ends.operatorPort];
    const started = { mqtt, http, operator, region: cfg.sovereignty.region || undefined, id: core.broker.aedes.id };
    log.info(started, 'gateway started');
    return handle(cfg, core, ends);
  } catch (err) {
    await teardown.run(() => undefined);
    throw err;
  }
}

/** Tokens, revocations, the chain adapter, then the broker with its services. */
async function startCore(cfg: ItradeConfig, deps: GatewayDeps, base: Base): Promise<Core> {
  const a = cfg.broker.auth;
  const log = componentLogger(base.root, 'broker');
  const tokens = await TokenService.create(a.jwt, await jwtSecret(cfg, base.redis, { create: true, log }));
  const longestTtl = Math.max(a.principalTokenTtlSec, a.sensorTokenTtlSec, a.operatorTokenTtlSec);
  const revocations = new RevocationStore(base.redis, base.sub, cfg.redis.keyPrefix, longestTtl, log);
  await revocations.start();
  const { chain, marketplace } = startChain(cfg, deps, base);
  const catalogue = startCatalogue(cfg, { chain, marketplace, redis: base.redis, root: base.root });
  if (catalogue) base.teardown.set('catalogue', () => catalogue.close());
  // Started once the catalogue is one of the follower's sinks: both begin at the same block.
  if (chain instanceof ChainEntitlements) chain.start();
  const auth = { ...base, tokens, revocations, chain, marketplace, catalogue };
  return { ...auth, ...(await startBroker(cfg, deps, auth)) };
}

/** The chain adapter (or the one deps gives) and the marketplace it follows. */
function startChain(cfg: ItradeConfig, deps: GatewayDeps, base: Base): { chain: Chain; marketplace?: string } {
  const log = componentLogger(base.root, 'chain');
  const market = deps.entitlements ? undefined : locateMarketplace(cfg, log);
  const chain =
    deps.entitlements ??
    new ChainEntitlements(
      {
        rpcUrl: base.ep.rpcUrl,
        ...cfg.broker.entitlements,
        ...market!,
        confirmations: cfg.chain.confirmations,
        maxLogRange: cfg.chain.maxLogRange,
        reorgDepth: cfg.chain.reorgDepth,
        observer: createChainMetrics(base.registry),
      },
      base.redis,
      cfg.redis.keyPrefix,
      log,
    );
  if (chain instanceof ChainEntitlements) base.teardown.set('chain', () => chain.stop());
  return { chain, marketplace: market?.marketplace };
}

type Authed = Base & Pick<Core, 'tokens' | 'revocations' | 'chain' | 'catalogue'>;

/** The meter, the bridge and key service behind the broker, and the broker itself. */
async function startBroker(cfg: ItradeConfig, deps: GatewayDeps, s: Authed) {
  const b = cfg.broker;
  const prefix = cfg.redis.keyPrefix;
  const cursors = new RedisCursorStore(s.redis, prefix);
  const meter = new CursorMeter(cursors, s.chain);
  const services = plugServices(cfg, deps, {
    chain: s.chain,
    meter,
    redis: s.redis,
    registry: s.registry,
    kafkaBrokers: s.ep.kafkaBrokers,
    log: s.root,
  });
  s.teardown.set('bridge and key service', () => services.close(cfg.operator.shutdown.drainTimeoutMs));
  const { buyerHandler, sellerHandler } = services;
  const publishListener = s.catalogue?.wrap(services.publishListener, services.bridge) ?? services.publishListener;
  const broker = await createBroker(
    { cfg: b, redisUrl: s.ep.redisUrl, redisSecurity: redisSecurity(cfg.redis), keyPrefix: prefix, id: deps.brokerId },
    {
      tokens: s.tokens,
      revocations: s.revocations,
      entitlements: s.chain,
      cursors,
      metering: b.metering,
      sensorLog: services.bridge?.sensorLog,
      publishListener,
      buyerHandler,
      sellerHandler,
      log: componentLogger(s.root, 'broker'),
      registry: s.registry,
      network: s.network,
    },
  );
  await startRoster(cfg, broker, s);
  services.channel.bind(broker.buyers);
  services.sellerChannel.bind(broker.sellers);
  s.teardown.set('broker sessions', () => broker.close());
  return { meter, services, broker };
}

/** The operator endpoint (/metrics, /healthz, /readyz) and the public HTTP API. */
async function startEndpoints(cfg: ItradeConfig, core: Core): Promise<Ends> {
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

function handle(cfg: ItradeConfig, core: Core, ends: Ends): GatewayHandle {
  const { broker, services } = core;
  let closed: Promise<void> | undefined;
  const stopping = {
    broker,
    api: ends.api,
    closing: ends.closing,
    teardown: core.teardown,
    drainMs: cfg.operator.shutdown.drainTimeoutMs,
    log: componentLogger(core.root, 'gateway'),
  };
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
    catalogue: core.catalogue,
    registry: core.registry,
    ready: () => ends.readiness.report(),
    close: () => (closed ??= shutdown(stopping)),
  };
}
