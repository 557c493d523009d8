// Local credit for one buyer connection, per sensor. Aedes' authorizeForward is synchronous, so
// it cannot ask Redis; instead each connection holds a lease of entries taken atomically from the
// shared counter (RedisMeter) ahead of need and spends it synchronously. Delivered <= leased <=
// paid holds across every instance, so no buyer ever receives more than N. When the credit runs
// out before the next lease arrives, entries are held back in order (not dropped) and delivered
// once it does; a lease not spent goes back to the counter when the subscription or the
// connection ends, so nobody pays for entries never delivered.
//
// The paid limit comes from the grants the SUBSCRIBE read (broker/subscribe.ts) and the lease
// keeps them: a take costs one script call, not two more cache reads. Grants only grow while the
// sensor is not blocked (and a block closes the lease, broker/enforce.ts), so the kept ones can
// only under-state the limit; when a take comes up short they are read again, in case the buyer
// paid for more since.
import type { Entitlements, Meter, SubscriptionGrant } from '../interfaces/layers.ts';
import { systemClock, type Clock, type Timer } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { paidLimit } from './meter.ts';

/** The shared counter, plus giving back what a lease did not spend (RedisMeter). */
export interface LeaseMeter extends Meter {
  release(buyer: string, sensor: string, n: number): Promise<void>;
}

export interface HeldEntry {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

export interface LeaseOptions {
  leaseSize: number;
  lowWater: number;
  maxHeld: number;
}

/** What the lease book needs from the connection it serves. */
export interface LeaseHost {
  /**
   * Delivers an entry that was held back (already paid from the lease). The delivery passes it
   * through forward() before this returns, as Aedes' deliverQoS does with authorizeForward.
   */
  redeliver(sensor: string, entry: HeldEntry): void;
  /** The buyer has received every entry it paid for: stop and tell it. */
  exhausted(sensor: string): void;
}

class Lease {
  credit = 0;
  /** The buyer's valid subscriptions to the sensor as last read: the limit takes are measured against. */
  grants: readonly SubscriptionGrant[] = [];
  held: HeldEntry[] = [];
  /**
   * Held entries paid for and handed to the host, not yet back through forward(). The host
   * delivers each one through forward() at once and in order (broker/forward.ts, redeliver), so
   * a count is enough: nothing depends on the entry coming back as the same object.
   */
  prepaid = 0;
  refilling = false;
  /** The last take got less than asked: refill again only when the credit is gone. */
  dry = false;
  closed = false;
  retry: Timer | undefined;
}

/** A failed refill (Redis down) is tried again after this long, while entries wait. */
export const RETRY_MS = 1000;

export class LeaseBook {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly meter: LeaseMeter,
    private readonly entitlements: Pick<Entitlements, 'validSubscriptions'>,
    private readonly buyer: string,
    private readonly opts: LeaseOptions,
    private readonly host: LeaseHost,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  has(sensor: string): boolean {
    return this.leases.has(sensor);
  }

  credit(sensor: string): number {
    return this.leases.get(sensor)?.credit ?? 0;
  }

  /**
   * Takes the first lease (at SUBSCRIBE), against `grants`: the buyer's valid subscriptions to
   * the sensor, just read. 0 means nothing is left to deliver.
   */
  async open(sensor: string, grants: readonly SubscriptionGrant[]): Promise<number> {
    const existing = this.leases.get(sensor);
    if (existing) {
      existing.grants = grants;
      return Math.max(1, existing.credit); // the same filter again: the lease runs on
    }
    const lease = new Lease();
    lease.grants = grants;
    this.leases.set(sensor, lease);
    try {
      lease.credit = await this.meter.take(this.buyer, sensor, this.opts.leaseSize, grants);
      lease.dry = lease.credit < this.opts.leaseSize;
    } catch (err) {
      this.leases.delete(sensor);
      throw err;
    }
    if (lease.credit === 0 || lease.closed) {
      this.leases.delete(sensor);
      if (lease.credit > 0) await this.meter.release(this.buyer, sensor, lease.credit);
      return 0;
    }
    return lease.credit;
  }

  /** Synchronous decision for one delivery (authorizeForward): true to send it now. */
  forward(sensor: string, entry: HeldEntry): boolean {
    const lease = this.leases.get(sensor);
    if (!lease || lease.closed) return false;
    if (lease.prepaid > 0) {
      lease.prepaid--;
      return true;
    }
    if (lease.credit > 0 && lease.held.length === 0) {
      lease.credit--;
      this.maybeRefill(sensor, lease);
      return true;
    }
    lease.held.push({ topic: entry.topic, payload: entry.payload, qos: entry.qos });
    if (lease.held.length > this.opts.maxHeld) {
      lease.held.shift();
      this.log.warn(
        { buyer: this.buyer, sensor, held: this.opts.maxHeld },
        'held entries over the limit: oldest dropped, not counted',
      );
    }
    this.refill(sensor, lease);
    return false;
  }

  private maybeRefill(sensor: string, lease: Lease): void {
    if (lease.credit === 0 || (lease.credit <= this.opts.lowWater && !lease.dry)) this.refill(sensor, lease);
  }

  private refill(sensor: string, lease: Lease): void {
    if (lease.refilling || lease.closed) return;
    lease.refilling = true;
    // A backlog is taken in the same round trip, so a burst never outruns the leases.
    const want = this.opts.leaseSize + lease.held.length;
    this.take(sensor, lease, want).then(
      (granted) => this.refilled(sensor, lease, granted, want),
      (err: unknown) => {
        lease.refilling = false;
        this.log.warn({ err, buyer: this.buyer, sensor }, 'lease refill failed; retrying');
        if (!lease.closed && lease.retry === undefined) {
          lease.retry = this.clock.setTimeout(() => {
            lease.retry = undefined;
            if (lease.held.length > 0 || lease.credit === 0) this.refill(sensor, lease);
          }, RETRY_MS);
        }
      },
    );
  }

  // One script call against the kept grants; they are read again only when it comes up short.
  private async take(sensor: string, lease: Lease, want: number): Promise<number> {
    const granted = await this.meter.take(this.buyer, sensor, want, lease.grants);
    if (granted >= want || lease.closed) return granted;
    const fresh = await this.entitlements.validSubscriptions(this.buyer, sensor);
    const raised = paidLimit(fresh) > paidLimit(lease.grants);
    lease.grants = fresh;
    return raised ? granted + (await this.meter.take(this.buyer, sensor, want - granted, fresh)) : granted;
  }

  private refilled(sensor: string, lease: Lease, granted: number, wanted: number): void {
    lease.refilling = false;
    if (lease.closed) {
      void this.meter
        .release(this.buyer, sensor, granted)
        .catch((err: unknown) => this.log.warn({ err }, 'lease release failed'));
      return;
    }
    lease.credit += granted;
    lease.dry = granted < wanted;
    if (granted === 0 && lease.credit === 0) {
      this.drop(sensor, lease);
      this.host.exhausted(sensor);
      return;
    }
    while (lease.held.length > 0 && lease.credit > 0) {
      const entry = lease.held.shift()!;
      lease.credit--;
      lease.prepaid++;
      this.host.redeliver(sensor, entry);
    }
    this.maybeRefill(sensor, lease);
  }

  private drop(sensor: string, lease: Lease): void {
    lease.closed = true;
    lease.held = [];
    this.clock.clearTimeout(lease.retry);
    if (this.leases.get(sensor) === lease) this.leases.delete(sensor);
  }

  /**
   * Hands up to `n` unspent entries of this lease to another delivery path of the same buyer
   * (a replay): the credit moves, it is not released, so delivered <= paid still holds. The lease
   * stays open; once empty it refills from the counter as usual.
   */
  reclaim(sensor: string, n: number): number {
    const lease = this.leases.get(sensor);
    if (!lease || lease.closed || lease.held.length > 0) return 0;
    const moved = Math.max(0, Math.min(n, lease.credit));
    lease.credit -= moved;
    return moved;
  }

  /** Ends one sensor's lease and gives the unspent credit back. */
  async close(sensor: string): Promise<void> {
    const lease = this.leases.get(sensor);
    if (!lease) return;
    this.drop(sensor, lease);
    const back = lease.credit;
    lease.credit = 0;
    await this.meter.release(this.buyer, sensor, back);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.leases.keys()].map((s) => this.close(s)));
  }

  sensors(): string[] {
    return [...this.leases.keys()];
  }
}
