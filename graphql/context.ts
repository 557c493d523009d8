// What every resolver of one request shares: the dependencies, the caller (the principal token,
// checked once and only when a field needs it), and the market record (read once).
import type { FastifyRequest } from 'fastify';
import type { MercuriusContext } from 'mercurius';
import type { CatalogueStore, MarketRecord } from '../interfaces/catalogue.ts';
import type { KeyAgentPresence, Meter } from '../interfaces/layers.ts';
import type { Identity } from '../auth/jwt.ts';
import { bearer, type ApiDeps } from '../http/api.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Limits } from './limits.ts';

export interface GraphqlDeps {
  store: CatalogueStore;
  /** Entries left per (buyer, sensor): the meter today, issue 14's cursor store later. */
  meter: Pick<Meter, 'remaining'>;
  /** The key ids of `sensor` the gateway has passed to `buyer`, ascending. */
  keyIds(sensor: string, buyer: string): Promise<number[]>;
  api: ApiDeps;
  /** Whether sellers' key agents are connected (the broker's sessions); absent: always false. */
  agents?: KeyAgentPresence;
  marketplace: string;
  chainId: number;
  limits: Limits & { introspection: boolean };
}

export type PrincipalIdentity = Extract<Identity, { kind: 'principal' }>;

interface Shared {
  deps: GraphqlDeps;
  /** The caller's principal token, checked (once) when a field needs it. */
  principal(): Promise<PrincipalIdentity>;
  market(): Promise<MarketRecord>;
}

declare module 'mercurius' {
  interface MercuriusContext extends Shared {}
}

export type Ctx = MercuriusContext;

export function requestContext(deps: GraphqlDeps, req: FastifyRequest): Shared {
  let caller: Promise<PrincipalIdentity> | undefined;
  let market: Promise<MarketRecord> | undefined;
  return {
    deps,
    principal: () => (caller ??= bearer(deps.api, req, 'principal') as Promise<PrincipalIdentity>),
    market: () =>
      (market ??= deps.store.market().then((m) => {
        if (!m) throw itradeError('GATEWAY_NOT_READY', 'the catalogue index is still being built: retry shortly');
        return m;
      })),
  };
}
