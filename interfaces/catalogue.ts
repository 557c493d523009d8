// The catalogue index (docs/graphql.md, "How the index works"): the marketplace's entities as the
// chain's views say, kept where every gateway instance reads them, so the GraphQL API answers
// without a chain call per query. CatalogueFeed is what the chain follower calls (chain/follower.ts
// through catalogue/follow.ts); CatalogueStore is the index
// itself, one contract (test/catalogue/store.contract.ts) for every implementation.
import type { SensorStatus } from './layers.ts';

/** A marketplace event as a chain follower saw it (decoded; addresses as the decoder gives them). */
export interface ChainLogEvent {
  name: string;
  args: Readonly<Record<string, unknown>>;
  blockNumber: number;
  logIndex: number;
}

/** What a chain follower tells the catalogue. Calls come one at a time, in chain order. */
export interface CatalogueFeed {
  /** The last block the index holds (undefined: an empty index, to be seeded). */
  checkpoint(): Promise<number | undefined>;
  /** Fills an empty index from the chain's state at `block`; the checkpoint becomes `block`. */
  seed(block: number): Promise<void>;
  /**
   * Every marketplace event of blocks (checkpoint, toBlock], in chain order; resolves once the
   * index holds their effects and the checkpoint is `toBlock`.
   */
  applyWindow(toBlock: number, events: readonly ChainLogEvent[]): Promise<void>;
  /** Events a reorg undid (the chain is now at `head`): what they touched is read again at `head`. */
  retract(events: readonly ChainLogEvent[], head: number): Promise<void>;
}

export interface SensorRecord {
  sensor: string; // lower-case address
  principal: string;
  owner: string;
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  price: bigint; // wei per data entry
  status: SensorStatus;
  subscriptionCount: number;
  /** Registration order in the marketplace (0 first). */
  index: number;
}

export interface PrincipalRecord {
  principal: string;
  owner: string;
  name: string;
  url: string;
  email: string;
  rsaPublicKeyHash: string;
  sensorCount: number;
  pendingWithdrawal: bigint;
  index: number;
}

export interface SubscriptionRecord {
  subscription: string;
  buyer: string;
  sensor: string;
  startTimestamp: number; // unix seconds
  dataEntries: number;
  createdAt: number; // unix seconds
  paid: bigint;
}

export interface MarketRecord {
  address: string;
  owner: string;
  principalFee: bigint;
  sensorFee: bigint;
  commissionBps: number;
  sensorCount: number;
  principalCount: number;
  /** Names by sensor type id. */
  sensorTypes: string[];
}

export interface Activity {
  /** The sensor topic's log end offset. */
  entriesStored: number;
  /** ms since epoch; undefined: never. */
  lastPublishAt?: number;
}

export interface SensorQuery {
  types?: readonly number[];
  status?: readonly SensorStatus[];
  minPrice?: bigint;
  maxPrice?: bigint;
  seller?: string;
  /** Degrees; west > east crosses the antimeridian. */
  within?: { south: number; west: number; north: number; east: number };
  near?: { latitude: number; longitude: number; radiusMeters: number };
  first: number;
  /** The registration index of the last sensor of the page before. */
  after?: number;
  newestFirst?: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
  hasNextPage: boolean;
}

/**
 * The index. Writes carry the block their state was read at; a write older than the stored state
 * is skipped. A sensor or principal written with index -1 keeps the index stored (a re-read);
 * putSensors / putPrincipals return how many such writes found none and were skipped.
 */
export interface CatalogueStore {
  putSensors(block: number, sensors: readonly SensorRecord[]): Promise<number>;
  putPrincipals(block: number, principals: readonly PrincipalRecord[]): Promise<number>;
  putSubscriptions(block: number, subscriptions: readonly SubscriptionRecord[]): Promise<void>;
  /** Writes the market at `block` unless a later block is stored; `force` writes it anyway (a retraction). */
  putMarket(block: number, market: MarketRecord, force?: boolean): Promise<void>;
  /** Moves the checkpoint to `block`; only forward unless `force` (a retraction). */
  setCheckpoint(block: number, force?: boolean): Promise<void>;
  checkpoint(): Promise<number | undefined>;
  /** Forgets the versions of these entities, so the next write of any block wins (a retraction). */
  unversion(kind: 'sensor' | 'principal' | 'subscription', addresses: readonly string[]): Promise<void>;
  /** Forgets these entities (a reorg undid their creation). */
  remove(kind: 'sensor' | 'principal' | 'subscription', addresses: readonly string[]): Promise<void>;
  /** Raises a sensor's activity (neither figure ever goes back). */
  recordActivity(sensor: string, a: Activity): Promise<void>;

  market(): Promise<MarketRecord | undefined>;
  sensors(addresses: readonly string[]): Promise<(SensorRecord | undefined)[]>;
  sensorsPage(q: SensorQuery): Promise<Page<SensorRecord>>;
  principals(addresses: readonly string[]): Promise<(PrincipalRecord | undefined)[]>;
  principalsPage(first: number, after?: number): Promise<Page<PrincipalRecord>>;
  /** A buyer principal's subscriptions, oldest first. */
  subscriptionsOf(buyer: string): Promise<SubscriptionRecord[]>;
  activity(sensors: readonly string[]): Promise<Activity[]>;
}
