// The meter is the buyer's cursor (interfaces/cursor.ts): entries delivered are counted in the
// cursor's `delivered`, by MQTT delivery as the cursor advances (broker/feed.ts) and by a replay
// download through take() here, so both draw on the same paid N. The limit is what the chain says
// now: the sum of `dataEntries` over the buyer's valid, started subscriptions to the sensor.
import type { CursorStore } from '../interfaces/cursor.ts';
import type { Entitlements, Meter, SubscriptionGrant } from '../interfaces/layers.ts';

/** The paid limit: the entries of every valid, started subscription. */
export function paidLimit(grants: readonly SubscriptionGrant[]): number {
  return grants.reduce((n, g) => n + g.dataEntries, 0);
}

export class CursorMeter implements Meter {
  constructor(
    private readonly cursors: CursorStore,
    private readonly entitlements: Entitlements,
  ) {}

  /** The paid limit now (throws CHAIN_UNAVAILABLE when the chain cannot say). */
  async limit(buyer: string, sensor: string): Promise<number> {
    return paidLimit(await this.entitlements.validSubscriptions(buyer, sensor));
  }

  // Grants the caller already holds save the two cache reads (sensor, subscriptions) a limit costs.
  async take(buyer: string, sensor: string, n: number, grants?: readonly SubscriptionGrant[]): Promise<number> {
    if (n <= 0) return 0;
    const limit = grants ? paidLimit(grants) : await this.limit(buyer, sensor);
    return limit <= 0 ? 0 : this.cursors.take(buyer, sensor, n, limit);
  }

  async used(buyer: string, sensor: string): Promise<number> {
    return (await this.cursors.get(buyer, sensor))?.delivered ?? 0;
  }

  async remaining(buyer: string, sensor: string): Promise<number> {
    const [limit, used] = await Promise.all([this.limit(buyer, sensor), this.used(buyer, sensor)]);
    return Math.max(0, limit - used);
  }
}
