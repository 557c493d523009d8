// The core of the composition root (gateway.ts): tokens and revocations, the chain adapter and
// the catalogue it feeds, then the meter, the bridge and key service (gateway/wiring.ts) and the
// broker in front of them. Each start registers its stop with the Teardown (gateway/teardown.ts).
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Endpoints } from '../config/endpoints.ts';
import { redisSecurity } from '../config/clients.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { jwtSecret } from '../auth/dev-secret.ts';
import { TokenService } from '../auth/jwt.ts';
import { RevocationStore } from '../auth/revocation.ts';
import { ChainEntitlements } from '../chain/entitlements.ts';
import { createChainMetrics } from '../chain/metrics.ts';
import { locateMarketplace } from '../contracts/deployment.ts';
import { RedisCursorStore } from '../metering/cursors.ts';
import { CursorMeter } from '../metering/meter.ts';
import type { NetworkPolicy } from '../sovereignty/network.ts';
import { createBroker, type BrokerHandle } from '../broker/server.ts';
import { componentLogger, type Logger } from '../lib/log.ts';
import type { GatewayDeps } from './gateway.ts';
import type { Teardown } from './teardown.ts';
import { plugServices, startRoster, type Plugged } from './wiring.ts';
import { startCatalogue, type CatalogueHandle } from './catalogue.ts';

export type Chain = NonNullable<GatewayDeps['entitlements']>;

export interface Base {
  root: Logger;
  ep: Endpoints;
  registry: Registry;
  redis: Redis;
  sub: Redis;
  teardown: Teardown;
  network: NetworkPolicy | undefined;
}

export interface Core extends Base {
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

/** Tokens, revocations, the chain adapter, then the broker with its services. */
export async function startCore(cfg: ItradeConfig, deps: GatewayDeps, base: Base): Promise<Core> {
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
