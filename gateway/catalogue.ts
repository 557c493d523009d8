// The catalogue index and the GraphQL API, for the composition root (gateway.ts): the Redis index,
// fed as a second sink of the chain adapter's one event follower (before it starts), the activity recorder around the
// broker's PublishListener, and what the GraphQL resolvers need. Only with the real chain
// adapter (it names the marketplace and owns the provider).
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ItradeConfig } from '../config/schema.ts';
import type { PublishListener } from '../interfaces/layers.ts';
import { ChainEntitlements } from '../chain/entitlements.ts';
import { ActivityRecorder } from '../catalogue/activity.ts';
import { ChainViews } from '../catalogue/chain-views.ts';
import { CatalogueIndexer } from '../catalogue/indexer.ts';
import { CatalogueSink } from '../catalogue/follow.ts';
import { RedisCatalogue } from '../catalogue/redis-store.ts';
import { registerGraphql, type GraphqlDeps } from '../graphql/server.ts';
import { wrappedKeyCacheKey } from '../keys/key-cache.ts';
import type { Bridge } from '../bridge/bridge.ts';
import { componentLogger, type Logger } from '../lib/log.ts';

export interface CatalogueHandle {
  store: RedisCatalogue;
  /** The broker's PublishListener with activity recorded (unchanged without a bridge). */
  wrap(listener: PublishListener | undefined, bridge: Bridge | undefined): PublishListener | undefined;
  /** Registers /graphql on the public API. */
  serve(
    app: FastifyInstance,
    deps: Omit<GraphqlDeps, 'store' | 'keyIds' | 'limits' | 'marketplace' | 'chainId'>,
  ): Promise<void>;
  close(): Promise<void>;
}

export function startCatalogue(
  cfg: ItradeConfig,
  s: { chain: unknown; marketplace: string | undefined; redis: Redis; root: Logger },
): CatalogueHandle | undefined {
  if (!(s.chain instanceof ChainEntitlements) || !s.marketplace) return undefined;
  const log = componentLogger(s.root, 'catalogue');
  const prefix = cfg.redis.keyPrefix;
  const store = new RedisCatalogue(s.redis, prefix);
  const views = new ChainViews(s.chain.provider, s.marketplace);
  const c = cfg.catalogue;
  s.chain.follower?.add(new CatalogueSink(new CatalogueIndexer(store, views, log)));
  let activity: ActivityRecorder | undefined;
  const marketplace = s.marketplace;
  return {
    store,
    wrap(listener, bridge) {
      if (!listener || !bridge) return listener;
      activity = new ActivityRecorder(listener, store, (sensor) => bridge.logEnd(sensor), c.activityFlushMs, log);
      activity.start();
      return activity;
    },
    async serve(app, deps) {
      const keyIds = async (sensor: string, buyer: string) => {
        // The key cache's own key with the id left open: one SCAN pattern (docs/graphql.md).
        const pattern = wrappedKeyCacheKey(prefix, sensor, 0, buyer).replace(':0:', ':*:');
        const ids = new Set<number>();
        for await (const keys of s.redis.scanStream({ match: pattern, count: 1000 }))
          for (const k of keys as string[]) ids.add(Number(k.split(':').at(-2)));
        return [...ids].sort((a, b) => a - b);
      };
      const limits = { ...cfg.graphql };
      const chainId = cfg.broker.entitlements.chainId;
      await registerGraphql(app, { ...deps, store, keyIds, limits, marketplace, chainId }, log);
    },
    async close() {
      await activity?.close();
    },
  };
}
