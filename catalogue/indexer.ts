// The catalogue's side of the chain follower (interfaces/catalogue.ts, CatalogueFeed). A window
// of events names the entities it touched (touched()); their state is read through the
// marketplace's views at the window's last block (catalogue/chain-views.ts) and written with that
// block as version, then the checkpoint moves. So a write is idempotent (the same block gives the
// same state), instances racing each other cannot move an entity back in time, and a window
// applied twice changes nothing. Registration indexes come from the chain, not from the events:
// the registrations after the count already indexed are read by position (sensorAt, principalAt),
// so a window whose logs lack one (a node answering eth_getLogs for its newest block before that
// block's receipts are stored, seen on anvil and geth) still places every entity at its index.
// anvil may also answer a call at its newest block from the next block's state while it mines it:
// a count counted so from the window's events gave two sensors one index (graphql-catalogue's
// 'filters and pages' failed so); by position, an entity's index never changes, and a count
// ahead of the positions makes `principalAt` revert (NoSuchIndex): the follower's round fails and
// the next one, the block stored by then, reads it again.
import type { CatalogueFeed, CatalogueStore, ChainLogEvent, SubscriptionRecord } from '../interfaces/catalogue.ts';
import { normAddress } from '../protocol/topics.ts';
import type { Logger } from '../lib/log.ts';
import type { ChainViews, PrincipalState, SensorState } from './chain-views.ts';

/** What a window touched: entities to read again, and the ones it created, in creation order. */
export interface Touched {
  sensors: Set<string>;
  principals: Set<string>;
  accounts: Set<string>;
  subscriptions: Set<string>;
  newSensors: string[];
  newPrincipals: string[];
  /** Sensors whose seller's earnings changed (a subscription): their principal is read too. */
  paidSensors: Set<string>;
  market: boolean;
}

const addr = (e: ChainLogEvent, k: string) => normAddress(String(e.args[k]));

export function touched(events: readonly ChainLogEvent[]): Touched {
  const t: Touched = {
    sensors: new Set(),
    principals: new Set(),
    accounts: new Set(),
    subscriptions: new Set(),
    newSensors: [],
    newPrincipals: [],
    paidSensors: new Set(),
    market: false,
  };
  for (const e of events) {
    t.market = true;
    switch (e.name) {
      case 'PrincipalRegistered':
        t.newPrincipals.push(addr(e, 'principal'));
        t.principals.add(addr(e, 'principal'));
        break;
      case 'PrincipalKeyUpdated':
        t.principals.add(addr(e, 'principal'));
        break;
      case 'SensorRegistered':
        t.newSensors.push(addr(e, 'sensor'));
        t.sensors.add(addr(e, 'sensor'));
        t.principals.add(addr(e, 'principal'));
        break;
      case 'SensorStatusChanged':
      case 'SensorPriceChanged':
        t.sensors.add(addr(e, 'sensor'));
        break;
      case 'Subscribed':
        t.subscriptions.add(addr(e, 'subscription'));
        t.sensors.add(addr(e, 'sensor'));
        t.paidSensors.add(addr(e, 'sensor'));
        break;
      case 'SellerWithdrawal':
        t.accounts.add(addr(e, 'seller'));
        break;
    }
  }
  return t;
}

export class CatalogueIndexer implements CatalogueFeed {
  constructor(
    private readonly store: CatalogueStore,
    private readonly views: ChainViews,
    private readonly log: Logger,
  ) {}

  checkpoint(): Promise<number | undefined> {
    return this.store.checkpoint();
  }

  async applyWindow(toBlock: number, events: readonly ChainLogEvent[]): Promise<void> {
    if (events.length > 0) await this.write(toBlock, touched(events));
    await this.store.setCheckpoint(toBlock);
  }

  async retract(events: readonly ChainLogEvent[], head: number): Promise<void> {
    const t = touched(events);
    await this.store.unversion('sensor', [...t.sensors]);
    await this.store.unversion('principal', [...t.principals]);
    await this.store.unversion('subscription', [...t.subscriptions]);
    await this.write(head, { ...t, newSensors: [], newPrincipals: [] }, true);
    await this.store.setCheckpoint(head, true);
  }

  /** Reads what `t` names at `block` and writes it; with `prune`, what the chain no longer has goes. */
  private async write(block: number, t: Touched, prune = false): Promise<void> {
    const v = this.views;
    const stored = await this.store.market();
    const market = await v.market(block, stored?.sensorTypes);
    const sIndex = await this.created(block, 'sensor', stored?.sensorCount, market.sensorCount, t.newSensors);
    const pIndex = await this.created(
      block,
      'principal',
      stored?.principalCount,
      market.principalCount,
      t.newPrincipals,
    );
    for (const a of sIndex.keys()) t.sensors.add(a);
    for (const a of pIndex.keys()) t.principals.add(a);
    const sensors = [...t.sensors];
    const sensorStates = await v.sensors(block, sensors);
    // A seller's sensor count and earnings move with a registration or a subscription of its sensor.
    for (const s of sensorStates)
      if (s && (t.paidSensors.has(s.sensor) || sIndex.has(s.sensor))) t.principals.add(s.principal);
    const principals = [...t.principals];
    const [principalStates, accountStates, subs] = await Promise.all([
      v.principals(block, principals),
      v.accounts(block, [...t.accounts]),
      v.subscriptions(block, [...t.subscriptions]),
    ]);
    const present = <T>(xs: (T | undefined)[]) => xs.filter((x): x is T => x !== undefined);
    const pRecords = present([...principalStates, ...accountStates]).map((p: PrincipalState) => ({
      ...p,
      index: pIndex.get(p.principal) ?? -1,
    }));
    const sRecords = present(sensorStates).map((s: SensorState) => ({ ...s, index: sIndex.get(s.sensor) ?? -1 }));
    const unplaced = (await this.store.putPrincipals(block, pRecords)) + (await this.store.putSensors(block, sRecords));
    if (unplaced > 0) this.log.warn({ block, unplaced }, 'catalogue: entities without a registration index skipped');
    await this.store.putSubscriptions(block, present<SubscriptionRecord>(subs));
    await this.store.putMarket(block, market, prune);
    if (prune) {
      await this.store.remove(
        'sensor',
        sensors.filter((_, i) => !sensorStates[i]),
      );
      await this.store.remove(
        'principal',
        principals.filter((_, i) => !principalStates[i]),
      );
      await this.store.remove(
        'subscription',
        [...t.subscriptions].filter((_, i) => !subs[i]),
      );
    }
  }

  /**
   * The entities registered in this window by registration index, read from the chain by
   * position: from the count the index holds (what logs missed) or from the count less the
   * window's creation events (a retraction already wrote the count of a later block), whichever
   * is lower, up to `count`. Reading again one already placed writes the same index.
   */
  private async created(
    block: number,
    kind: 'sensor' | 'principal',
    indexed: number | undefined,
    count: number,
    fromEvents: readonly string[],
  ): Promise<Map<string, number>> {
    const from = Math.min(indexed ?? count, count - fromEvents.length);
    if (from >= count) return new Map();
    const addresses = await this.views.addressesAt(block, kind, from, count);
    return new Map(addresses.map((a, i) => [a, from + i]));
  }

  /** Seeds an empty index from the views at `block` (not by replaying history). */
  async seed(block: number): Promise<void> {
    const v = this.views;
    const market = await v.market(block);
    const step = 200;
    for (let offset = 0; offset < market.sensorCount; offset += step) {
      const page = await v.sensorsPage(block, offset, step);
      await this.store.putSensors(
        block,
        page.map((s, i) => ({ ...s, index: offset + i })),
      );
    }
    for (let i = 0; i < market.principalCount; i += step) {
      const addresses = await v.addressesAt(block, 'principal', i, Math.min(i + step, market.principalCount));
      const states = await v.principals(block, addresses);
      await this.store.putPrincipals(
        block,
        states.flatMap((p, j) => (p ? [{ ...p, index: i + j }] : [])),
      );
    }
    const count = Number((await v.multicall(block, [['subscriptionCount', []]]))[0]![0]);
    for (let i = 0; i < count; i += step) {
      const addresses = await v.addressesAt(block, 'subscription', i, Math.min(i + step, count));
      const states = await v.subscriptions(block, addresses);
      await this.store.putSubscriptions(
        block,
        states.filter((s): s is SubscriptionRecord => s !== undefined),
      );
    }
    await this.store.putMarket(block, market);
    await this.store.setCheckpoint(block, true);
    this.log.info(
      { block, sensors: market.sensorCount, principals: market.principalCount, subscriptions: count },
      'catalogue seeded from the chain',
    );
  }
}
