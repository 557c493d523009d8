// The entitlement side of the chain follower: each confirmed event drops the cached answers it
// changes before the broker hears of it; each event a reorg removed drops them too, and the
// broker hears what is left, so it takes back what the event granted (docs/contracts.md,
// "Finality and reorgs"): a retracted subscription with no other valid one is ended like a
// blocked sensor's, a retracted sensor loses its device and its buyers, a retracted principal
// its sessions.
import type { ChainLogEvent } from '../interfaces/catalogue.ts';
import type { EntitlementEvent, SubscriptionGrant } from '../interfaces/layers.ts';
import { normAddress } from '../protocol/topics.ts';
import { sensorStatusOf } from '../contracts/client.ts';
import type { ChainCache } from './cache.ts';
import type { ChainSink } from './follower.ts';
import type { ChainObserver } from './metrics.ts';

/** What the sink needs of the adapter: its cache and its (cached) reads. */
export interface EntitlementReads {
  readonly cache: ChainCache;
  principalOfAccount(account: string): Promise<string | undefined>;
  sensor(sensor: string): Promise<{ status: EntitlementStatus } | undefined>;
  validSubscriptions(buyer: string, sensor: string): Promise<SubscriptionGrant[]>;
}

type EntitlementStatus = Extract<EntitlementEvent, { kind: 'sensor-status' }>['status'];

/** The cache group of every buyer's subscriptions to one sensor (one DEL when the sensor changes). */
export const subsGroup = (sensor: string): string => `subs:${sensor}`;

const addr = (e: ChainLogEvent, k: string) => normAddress(String(e.args[k]));

export function toGrant(e: ChainLogEvent): SubscriptionGrant {
  return {
    subscription: addr(e, 'subscription'),
    buyer: addr(e, 'buyer'),
    sensor: addr(e, 'sensor'),
    startTimestamp: Number(e.args.startTimestamp),
    dataEntries: Number(e.args.dataEntries),
  };
}

export class EntitlementSink implements ChainSink {
  constructor(
    private readonly chain: EntitlementReads,
    private readonly emit: (e: EntitlementEvent) => void,
    private readonly observer?: ChainObserver,
  ) {}

  // The window's invalidations go out together (ioredis pipelines them on its connection): one
  // round trip per window, not per event, which is what a catch-up over a long history waits on.
  // The broker hears of the events, in order, once all of them are dropped; a failed one fails
  // the window, and the follower applies it again (dropping a key twice is harmless).
  async window(_toBlock: number, events: readonly ChainLogEvent[]): Promise<void> {
    const told = await Promise.all(events.map((ev) => this.apply(ev)));
    events.forEach((ev, i) => {
      this.observer?.event(ev.name);
      const e = told[i];
      if (e) this.emit(e);
    });
  }

  private async apply(ev: ChainLogEvent): Promise<EntitlementEvent | undefined> {
    const cache = this.chain.cache;
    switch (ev.name) {
      case 'Subscribed': {
        const g = toGrant(ev);
        await cache.invalidateIn(subsGroup(g.sensor), g.buyer);
        return { kind: 'subscribed', grant: g };
      }
      case 'SensorStatusChanged': {
        const sensor = addr(ev, 'sensor');
        await this.dropSensor(sensor);
        return { kind: 'sensor-status', sensor, status: sensorStatusOf(BigInt(String(ev.args.status))) };
      }
      case 'SensorRegistered':
      case 'SensorPriceChanged':
        await this.dropSensor(addr(ev, 'sensor'));
        return undefined;
      case 'PrincipalRegistered': {
        const owner = addr(ev, 'owner');
        await cache.invalidate(`principalOf:${owner}`);
        return { kind: 'principal-registered', principal: addr(ev, 'principal'), owner };
      }
      case 'PrincipalKeyUpdated': {
        const principal = addr(ev, 'principal');
        await cache.invalidate(`rsa:${principal}`);
        return { kind: 'principal-key-updated', principal };
      }
    }
    return undefined;
  }

  private async dropSensor(sensor: string): Promise<void> {
    await Promise.all([
      this.chain.cache.invalidate(`sensor:${sensor}`),
      this.chain.cache.invalidateIn(subsGroup(sensor)),
    ]);
  }

  /** Newest first, so a sensor registered and subscribed to in the undone blocks is told once, as gone. */
  async retract(events: readonly ChainLogEvent[], _head: number): Promise<void> {
    const told = new Set<string>();
    for (const ev of [...events].reverse()) {
      const e = await this.undo(ev);
      if (!e) continue;
      const id = JSON.stringify(e);
      if (!told.has(id)) this.emit(e);
      told.add(id);
    }
  }

  private async undo(ev: ChainLogEvent): Promise<EntitlementEvent | undefined> {
    const c = this.chain;
    switch (ev.name) {
      case 'Subscribed': {
        const g = toGrant(ev);
        await c.cache.invalidateIn(subsGroup(g.sensor), g.buyer);
        const left = (await c.validSubscriptions(g.buyer, g.sensor)).length;
        return { kind: 'subscription-retracted', buyer: g.buyer, sensor: g.sensor, remaining: left };
      }
      case 'SensorRegistered':
      case 'SensorStatusChanged':
      case 'SensorPriceChanged': {
        const sensor = addr(ev, 'sensor');
        await this.dropSensor(sensor);
        const now = await c.sensor(sensor);
        return now ? { kind: 'sensor-status', sensor, status: now.status } : { kind: 'sensor-retracted', sensor };
      }
      case 'PrincipalRegistered': {
        const owner = addr(ev, 'owner');
        const principal = addr(ev, 'principal');
        await c.cache.invalidate(`principalOf:${owner}`, `rsa:${principal}`);
        const now = await c.principalOfAccount(owner);
        return now === principal ? undefined : { kind: 'principal-retracted', principal, owner };
      }
      case 'PrincipalKeyUpdated': {
        const principal = addr(ev, 'principal');
        await c.cache.invalidate(`rsa:${principal}`);
        return { kind: 'principal-key-updated', principal };
      }
    }
    return undefined;
  }
}
