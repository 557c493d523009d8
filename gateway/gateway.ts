// Composition root: one gateway process = the MQTT broker + the HTTP API + the chain adapter +
// the meter, wired from one validated configuration. The bridge and the key service plug in
// through the optional PublishListener / BuyerRequestHandler / SellerMessageHandler.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { ItradeConfig } from '../config/schema.ts';
import type { BuyerChannel, BuyerRequestHandler, Entitlements, Meter, PrincipalDirectory, PublishListener, SellerChannel, SellerMessageHandler } from '../core/interfaces.ts';
import { ChallengeStore } from '../broker/auth/challenge.ts';
import { TokenService } from '../broker/auth/jwt.ts';
import { RevocationStore } from '../broker/auth/revocation.ts';
import { ChainEntitlements, type SensorRegistration } from '../broker/chain/entitlements.ts';
import { buildApi } from '../broker/http/api.ts';
import { RedisMeter } from '../broker/metering/meter.ts';
import { createBroker, type BrokerHandle, type MqttPorts } from '../broker/server.ts';
import { itradeError, oneLine } from '../lib/errors.ts';
import { readDeployment } from '../contracts/deployment.ts';
import { componentLogger, createLogger, type Logger } from '../lib/log.ts';
import { LocalStack } from '../stack/stack.ts';
import { Registry } from 'prom-client';
import { createKafkaBridge, type Bridge } from '../bridge/bridge.ts';
import { bearer } from '../broker/http/api.ts';
import { createKeyService, type KeyService } from './keys/key-service.ts';
import { BuyerRouter, LateChannel } from './wiring.ts';

export interface GatewayDeps {
  log?: Logger;
  /** Replaces the chain adapter (unit tests); must also read registrations for activation. */
  entitlements?: Entitlements & { sensorRegistration(txHash: string): Promise<SensorRegistration | undefined> };
  publishListener?: PublishListener;
  buyerHandler?: BuyerRequestHandler;
  sellerHandler?: SellerMessageHandler;
  /** Aedes instance id (default: random). */
  brokerId?: string;
  /** Metrics registry (default: a new one, served on /metrics). */
  registry?: Registry;
}

export interface GatewayHandle {
  mqtt: MqttPorts;
  httpPort: number | undefined;
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
  close(): Promise<void>;
}

export async function startGateway(cfg: ItradeConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const root = deps.log ?? createLogger({ level: cfg.log.level });
  const log = componentLogger(root, 'broker');
  const ep = new LocalStack(cfg, root).endpoints();
  const prefix = cfg.redis.keyPrefix;
  const redis = new Redis(ep.redisUrl);
  const sub = new Redis(ep.redisUrl);
  for (const [conn, what] of [[redis, 'commands'], [sub, 'revocation events']] as const) {
    conn.on('error', (err: Error) => log.warn({ err: err.message, what }, 'redis connection error; reconnecting'));
  }
  const b = cfg.broker;
  const closers: (() => Promise<unknown> | void)[] = [() => redis.quit(), () => sub.quit()];
  try {
    const tokens = await TokenService.create(b.auth.jwt, await jwtSecret(cfg, redis, log));
    const maxTtl = Math.max(b.auth.principalTokenTtlSec, b.auth.sensorTokenTtlSec, b.auth.operatorTokenTtlSec);
    const revocations = new RevocationStore(redis, sub, prefix, maxTtl, log);
    await revocations.start();
    const chainLog = componentLogger(root, 'chain');
    const chain = deps.entitlements ?? new ChainEntitlements({ rpcUrl: ep.rpcUrl, ...b.entitlements, ...locateMarketplace(cfg, chainLog) }, redis, prefix, chainLog);
    if (chain instanceof ChainEntitlements) {
      chain.start();
      closers.unshift(() => chain.stop());
    }
    const meter = new RedisMeter(redis, prefix, chain);
    const registry = deps.registry ?? new Registry();
    let live: Pick<BrokerHandle, 'reclaimCredit' | 'leaseCredit'> = { reclaimCredit: () => 0, leaseCredit: () => 0 };
    const services = plugServices(cfg, deps, { chain, meter: replayMeter(meter, () => live), redis, registry, kafkaBrokers: ep.kafkaBrokers, log: root });
    closers.unshift(...services.closers);
    const brokerDeps = { tokens, revocations, entitlements: chain, meter, metering: b.metering, publishListener: services.publishListener, buyerHandler: services.buyerHandler, sellerHandler: services.sellerHandler, log };
    const broker = await createBroker({ cfg: b, redisUrl: ep.redisUrl, keyPrefix: prefix, id: deps.brokerId }, brokerDeps);
    live = broker;
    services.channel.bind(broker.buyers);
    services.sellerChannel.bind(broker.sellers);
    // Closed before the services: no new publish reaches a bridge that is draining.
    closers.unshift(() => broker.close());
    let httpPort: number | undefined;
    if (b.http.enabled) {
      const challenges = new ChallengeStore(redis, prefix, { ttlSec: b.auth.challengeTtlSec, domain: b.auth.siweDomain, uri: b.auth.siweUri, chainId: b.entitlements.chainId });
      const api = buildApi({ tokens, challenges, revocations, entitlements: chain, registrations: chain, publishListener: services.publishListener, ttl: { principal: b.auth.principalTokenTtlSec, sensor: b.auth.sensorTokenTtlSec }, log });
      if (services.bridge) await api.register(services.bridge.httpRoutes(async (req) => (await bearer({ tokens, revocations }, req, 'principal')).sub));
      httpPort = await listenApi(api, b.http.host, b.http.port);
      closers.unshift(() => api.close());
    }
    log.info({ mqtt: broker.ports, http: httpPort, id: broker.aedes.id }, 'gateway started');
    const close = async () => {
      for (const c of closers.splice(0)) await c();
    };
    return { mqtt: broker.ports, httpPort, tokens, meter, entitlements: chain, principals: chain instanceof ChainEntitlements ? chain : undefined, buyers: broker.buyers, sellers: broker.sellers, broker, bridge: services.bridge, keys: services.keys, registry, close };
  } catch (err) {
    for (const c of closers.splice(0)) await Promise.resolve(c()).catch(() => undefined);
    throw err;
  }
}

/**
 * The HS256 secret: from the configuration (the environment), or with `devSecret` a random one
 * shared through Redis (SET NX), so every local instance agrees on it. Never for production:
 * whoever can read that Redis can mint tokens.
 */
async function jwtSecret(cfg: ItradeConfig, redis: Redis, log: Logger): Promise<string> {
  const a = cfg.broker.auth;
  if (a.jwt.alg !== 'HS256' || a.jwt.secret !== '') return a.jwt.secret;
  if (!a.devSecret) throw itradeError('AUTH_CONFIG', 'broker.auth.jwt.secret is empty: set ITRADE_JWT_SECRET (or broker.auth.devSecret: true for local development)');
  const key = `${cfg.redis.keyPrefix}dev:jwt-secret`;
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  log.warn({ redisKey: key }, 'using a development JWT secret kept in Redis: set ITRADE_JWT_SECRET and broker.auth.devSecret: false in production');
  return (await redis.get(key))!;
}

/**
 * chain.marketplace, else the record `npm run deploy` wrote. Read without asking the node, so
 * the gateway starts while the chain is down (chain checks then fail closed until it answers).
 * No marketplace at all: every chain check fails closed.
 */
function locateMarketplace(cfg: ItradeConfig, log: Logger): { marketplace: string; fromBlock: number } {
  if (cfg.chain.marketplace !== '') return { marketplace: cfg.chain.marketplace, fromBlock: cfg.chain.marketplaceBlock };
  try {
    const rec = readDeployment(cfg.chain.deploymentFile);
    return { marketplace: rec.marketplace, fromBlock: rec.blockNumber };
  } catch (err) {
    log.warn({ err: oneLine(err) }, 'no marketplace configured or deployed: every chain check fails closed');
    return { marketplace: '', fromBlock: 0 };
  }
}

async function listenApi(api: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await api.listen({ host, port });
  } catch (err) {
    throw itradeError('BROKER_LISTENER', `broker.http: cannot listen on ${host}:${port}`, { cause: err });
  }
  return (api.server.address() as AddressInfo).port;
}

interface Plugged {
  bridge: Bridge | undefined;
  keys: KeyService | undefined;
  publishListener: PublishListener | undefined;
  buyerHandler: BuyerRequestHandler | undefined;
  sellerHandler: SellerMessageHandler | undefined;
  channel: LateChannel;
  sellerChannel: LateChannel;
  closers: (() => Promise<unknown> | void)[];
}

/**
 * The services behind the broker: the Kafka bridge (history and replay) and the key service,
 * each replaced by what deps gives instead (tests that isolate the broker). Closers run bridge
 * first (drain to Kafka), then the key service.
 */
function plugServices(
  cfg: ItradeConfig,
  deps: GatewayDeps,
  s: { chain: Entitlements; meter: Meter; redis: Redis; registry: Registry; kafkaBrokers: string[]; log: Logger },
): Plugged {
  const channel = new LateChannel();
  const sellerChannel = new LateChannel();
  const bridge = deps.publishListener ? undefined : createKafkaBridge(cfg, s.kafkaBrokers, { entitlements: s.chain, meter: s.meter, channel, registry: s.registry, log: s.log });
  const directory = s.chain instanceof ChainEntitlements ? s.chain : undefined;
  const keys =
    deps.buyerHandler || deps.sellerHandler || !directory
      ? undefined
      : createKeyService({ entitlements: s.chain, meter: s.meter, directory, buyers: channel, sellers: sellerChannel, redis: s.redis, keyPrefix: cfg.redis.keyPrefix, options: cfg.keyExchange, log: componentLogger(s.log, 'keys') });
  const routes: Record<string, BuyerRequestHandler> = {};
  if (bridge) routes.replay = bridge;
  if (keys) routes.keys = keys;
  return {
    bridge,
    keys,
    publishListener: deps.publishListener ?? bridge,
    buyerHandler: deps.buyerHandler ?? (Object.keys(routes).length ? new BuyerRouter(routes) : undefined),
    sellerHandler: deps.sellerHandler ?? keys,
    channel,
    sellerChannel,
    closers: [() => bridge?.close(cfg.broker.limits.drainTimeoutMs), () => keys?.close()],
  };
}

/**
 * The meter replays draw from: the shared counter first, then the unspent credit this buyer's
 * live subscriptions hold on this instance. Without the second step a live lease (up to
 * broker.metering.leaseSize entries) would keep a replay from entries the buyer paid for.
 */
function replayMeter(meter: Meter, live: () => Pick<BrokerHandle, 'reclaimCredit' | 'leaseCredit'>): Meter {
  return {
    remaining: async (b, s) => (await meter.remaining(b, s)) + live().leaseCredit(b, s),
    async take(b, s, n) {
      const granted = await meter.take(b, s, n);
      return granted < n ? granted + live().reclaimCredit(b, s, n - granted) : granted;
    },
  };
}
