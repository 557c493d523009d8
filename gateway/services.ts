// The services behind the broker and the start-up helpers of the composition root
// (gateway/gateway.ts): the Kafka bridge and the key service, the meter replays draw from, the
// JWT secret, where the marketplace is, and listening with a clear error.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ItradeConfig } from '../config/schema.ts';
import type {
  BuyerRequestHandler,
  Entitlements,
  Meter,
  PublishListener,
  SellerMessageHandler,
} from '../interfaces/layers.ts';
import { ChainEntitlements } from '../chain/entitlements.ts';
import type { BrokerHandle } from '../broker/server.ts';
import { createKafkaBridge, type Bridge } from '../bridge/bridge.ts';
import { readDeployment } from '../contracts/deployment.ts';
import { itradeError, oneLine } from '../protocol/errors.ts';
import { componentLogger, type Logger } from '../lib/log.ts';
import type { GatewayDeps } from './gateway.ts';
import { createKeyService, type KeyService } from '../keys/key-service.ts';
import { createKeyMetrics } from '../keys/metrics.ts';
import { BuyerRouter, LateChannel } from './wiring.ts';

/**
 * The HS256 secret: from the configuration (the environment), or with `devSecret` a random one
 * shared through Redis (SET NX), so every local instance agrees on it. Never for production:
 * whoever can read that Redis can mint tokens.
 */
export async function jwtSecret(cfg: ItradeConfig, redis: Redis, log: Logger): Promise<string> {
  const a = cfg.broker.auth;
  if (a.jwt.alg !== 'HS256' || a.jwt.secret !== '') return a.jwt.secret;
  if (!a.devSecret)
    throw itradeError(
      'AUTH_CONFIG',
      'broker.auth.jwt.secret is empty: set ITRADE_JWT_SECRET (or broker.auth.devSecret: true for local development)',
    );
  const key = `${cfg.redis.keyPrefix}dev:jwt-secret`;
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  log.warn(
    { redisKey: key },
    'using a development JWT secret kept in Redis: set ITRADE_JWT_SECRET and broker.auth.devSecret: false in production',
  );
  return (await redis.get(key))!;
}

/**
 * chain.marketplace, else the record `npm run deploy` wrote. Read without asking the node, so
 * the gateway starts while the chain is down (chain checks then fail closed until it answers).
 * No marketplace at all: every chain check fails closed.
 */
export function locateMarketplace(cfg: ItradeConfig, log: Logger): { marketplace: string; fromBlock: number } {
  if (cfg.chain.marketplace !== '')
    return { marketplace: cfg.chain.marketplace, fromBlock: cfg.chain.marketplaceBlock };
  try {
    const rec = readDeployment(cfg.chain.deploymentFile);
    return { marketplace: rec.marketplace, fromBlock: rec.blockNumber };
  } catch (err) {
    log.warn({ err: oneLine(err) }, 'no marketplace configured or deployed: every chain check fails closed');
    return { marketplace: '', fromBlock: 0 };
  }
}

export async function listenHttp(api: FastifyInstance, host: string, port: number, key: string): Promise<number> {
  try {
    await api.listen({ host, port });
  } catch (err) {
    throw itradeError('BROKER_LISTENER', `${key}: cannot listen on ${host}:${port}`, { cause: err });
  }
  return (api.server.address() as AddressInfo).port;
}

export interface Plugged {
  bridge: Bridge | undefined;
  keys: KeyService | undefined;
  publishListener: PublishListener | undefined;
  buyerHandler: BuyerRequestHandler | undefined;
  sellerHandler: SellerMessageHandler | undefined;
  channel: LateChannel;
  sellerChannel: LateChannel;
  /** Bridge first (drains to Kafka for up to `drainMs`), then the key service. */
  close(drainMs: number): Promise<void>;
}

/**
 * The services behind the broker: the Kafka bridge (history and replay) and the key service,
 * each replaced by what deps gives instead (tests that isolate the broker).
 */
export function plugServices(
  cfg: ItradeConfig,
  deps: GatewayDeps,
  s: { chain: Entitlements; meter: Meter; redis: Redis; registry: Registry; kafkaBrokers: string[]; log: Logger },
): Plugged {
  const channel = new LateChannel();
  const sellerChannel = new LateChannel();
  const bridge = deps.publishListener
    ? undefined
    : createKafkaBridge(cfg, s.kafkaBrokers, {
        entitlements: s.chain,
        meter: s.meter,
        channel,
        registry: s.registry,
        log: s.log,
      });
  const directory = s.chain instanceof ChainEntitlements ? s.chain : undefined;
  const keys =
    deps.buyerHandler || deps.sellerHandler || !directory
      ? undefined
      : createKeyService({
          entitlements: s.chain,
          meter: s.meter,
          directory,
          buyers: channel,
          sellers: sellerChannel,
          redis: s.redis,
          keyPrefix: cfg.redis.keyPrefix,
          options: cfg.keyExchange,
          log: componentLogger(s.log, 'keys'),
          observe: createKeyMetrics(s.registry),
        });
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
    async close(drainMs) {
      await bridge?.close(drainMs);
      await keys?.close();
    },
  };
}

/**
 * The meter replays draw from: the shared counter first, then the unspent credit this buyer's
 * live subscriptions hold on this instance. Without the second step a live lease (up to
 * broker.metering.leaseSize entries) would keep a replay from entries the buyer paid for.
 */
export function replayMeter(meter: Meter, live: () => Pick<BrokerHandle, 'reclaimCredit' | 'leaseCredit'>): Meter {
  return {
    remaining: async (b, s) => (await meter.remaining(b, s)) + live().leaseCredit(b, s),
    async take(b, s, n, grants) {
      const granted = await meter.take(b, s, n, grants);
      return granted < n ? granted + live().reclaimCredit(b, s, n - granted) : granted;
    },
  };
}
