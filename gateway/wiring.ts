// Glue between the broker and the services that plug into it, for the composition root
// (gateway.ts). plugServices builds the Kafka bridge and the key service, each replaced by what
// GatewayDeps gives instead. The broker is created after the services (they are its listener and
// handlers) but the services send through the broker's channels: LateChannel breaks that cycle.
// BuyerRouter gives each buyers/<b>/<service>/... subtree to the one service that owns it.
// connectRedis opens the gateway's two Redis connections.
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ItradeConfig } from '../config/schema.ts';
import type {
  BuyerChannel,
  BuyerRequestHandler,
  Entitlements,
  Meter,
  PublishListener,
  SellerChannel,
  SellerMessageHandler,
} from '../interfaces/layers.ts';
import { ChainEntitlements } from '../chain/entitlements.ts';
import type { BrokerHandle } from '../broker/server.ts';
import { ClientRoster } from '../broker/roster.ts';
import type { Teardown } from './teardown.ts';
import type { RedisSecurity } from '../config/clients.ts';
import { createKafkaBridge, type Bridge } from '../bridge/bridge.ts';
import { createKeyService, type KeyService } from '../keys/key-service.ts';
import { createKeyMetrics } from '../keys/metrics.ts';
import { componentLogger, type Logger } from '../lib/log.ts';

export class LateChannel implements BuyerChannel, SellerChannel {
  private target?: BuyerChannel;

  bind(target: BuyerChannel): void {
    this.target = target;
  }

  send(principal: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    if (!this.target) return Promise.reject(new Error('the broker is not started yet'));
    return this.target.send(principal, topic, payload, qos);
  }
}

/** Routes buyers/<b>/<segment>/... to the handler registered for <segment> (replay, keys). */
export class BuyerRouter implements BuyerRequestHandler {
  constructor(private readonly routes: Readonly<Record<string, BuyerRequestHandler>>) {}

  async onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void> {
    const segment = topic.split('/')[2] ?? '';
    const handler = Object.hasOwn(this.routes, segment) ? this.routes[segment] : undefined;
    if (handler) await handler.onBuyerMessage(buyer, topic, payload);
  }
}

/** What a test that isolates the broker gives instead of the bridge and the key service. */
export interface ServiceOverrides {
  publishListener?: PublishListener;
  buyerHandler?: BuyerRequestHandler;
  sellerHandler?: SellerMessageHandler;
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
  deps: ServiceOverrides,
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
  const keys = deps.buyerHandler || deps.sellerHandler ? undefined : keyService(cfg, s, channel, sellerChannel);
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

type ServiceDeps = Parameters<typeof plugServices>[2];

/** The key service, when the chain adapter is the real one (it is also the directory of RSA keys). */
function keyService(cfg: ItradeConfig, s: ServiceDeps, buyers: LateChannel, sellers: LateChannel) {
  if (!(s.chain instanceof ChainEntitlements)) return undefined;
  return createKeyService({
    entitlements: s.chain,
    meter: s.meter,
    directory: s.chain,
    buyers,
    sellers,
    redis: s.redis,
    keyPrefix: cfg.redis.keyPrefix,
    options: cfg.keyExchange,
    log: componentLogger(s.log, 'keys'),
    observe: createKeyMetrics(s.registry),
  });
}

/** The command connection and the one for revocation events (pub/sub needs its own). */
export function connectRedis(
  url: string,
  log: Logger,
  teardown: Teardown,
  security: RedisSecurity = {},
): [Redis, Redis] {
  const redis = new Redis(url, { ...security });
  const sub = new Redis(url, { ...security });
  // Without a listener an ioredis error event throws; ioredis reconnects by itself.
  for (const [conn, what] of [
    [redis, 'commands'],
    [sub, 'revocation events'],
  ] as const) {
    conn.on('error', (err: Error) => log.warn({ err: err.message, what }, 'redis connection error; reconnecting'));
  }
  // QUIT needs a connection that works; one refused at start-up (preflight) is dropped instead,
  // or ioredis would keep reconnecting and hold the process open.
  const close = (c: Redis) => (c.status === 'ready' ? c.quit() : Promise.resolve(c.disconnect()));
  teardown.set('redis', () => Promise.all([close(redis), close(sub)]));
  return [redis, sub];
}

/** This instance's entry in the operator's client list (broker/roster.ts), gone at shutdown. */
export async function startRoster(
  cfg: ItradeConfig,
  broker: Pick<BrokerHandle, 'aedes' | 'ctx'>,
  s: { redis: Redis; sub: Redis; teardown: Teardown },
): Promise<void> {
  const roster = new ClientRoster(broker.aedes, broker.ctx, {
    redis: s.redis,
    sub: s.sub,
    prefix: cfg.redis.keyPrefix,
  });
  await roster.start();
  s.teardown.set('admin roster', () => roster.stop());
}
