// Composition root: one gateway process = the MQTT broker + the HTTP API + the chain adapter +
// the meter + the Kafka bridge + the key service + the operator endpoint (/metrics, /healthz,
// /readyz), wired from one validated configuration, with one metrics registry. Redis, Kafka and
// the node come from the configuration or from the caller (config/endpoints.ts): this file asks
// no development stack. The bridge and the key service plug in through the optional
// PublishListener / BuyerRequestHandler / SellerMessageHandler (gateway/wiring.ts). This file
// holds the start sequence and the handle; the core (broker and what stands behind it) starts in
// gateway/core.ts, the HTTP endpoints in gateway/endpoints.ts. close() is the graceful shutdown
// (gateway/teardown.ts).
import { Registry, collectDefaultMetrics } from 'prom-client';
import { configuredEndpoints, type Endpoints } from '../config/endpoints.ts';
import { redisSecurity } from '../config/clients.ts';
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
import type { TokenService } from '../auth/jwt.ts';
import { ChainEntitlements, type SensorRegistration } from '../chain/entitlements.ts';
import type { CursorMeter } from '../metering/meter.ts';
import { sovereigntyPolicy } from '../sovereignty/countries.ts';
import type { BrokerHandle, MqttPorts } from '../broker/server.ts';
import type { Bridge } from '../bridge/bridge.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { ReadyReport } from '../operator/ready.ts';
import { componentLogger, createLogger, type Logger } from '../lib/log.ts';
import { Teardown, shutdown } from './teardown.ts';
import { connectRedis } from './wiring.ts';
import type { CatalogueHandle } from './catalogue.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing } from '../tracing/tracing.ts';
import { preflight } from './preflight.ts';
import { enforceProfile } from '../config/audit.ts';
import { startCore, type Core } from './core.ts';
import { startEndpoints, type Ends } from './endpoints.ts';

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
