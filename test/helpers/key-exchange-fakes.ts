// In-memory stand-ins for the interfaces the KeyService depends on (the chain adapter and the
// meter are built elsewhere): honest by default, so each test states the one thing it changes.
import type {
  BuyerChannel,
  Entitlements,
  EntitlementEvent,
  Meter,
  PrincipalDirectory,
  SensorInfo,
  SubscriptionGrant,
} from '../../interfaces/layers.ts';
import type { CachedGrant, WrappedKeyCache } from '../../keys/key-cache.ts';

export class FakeEntitlements implements Entitlements {
  sensors = new Map<string, SensorInfo>();
  grants: SubscriptionGrant[] = [];
  /** Set to make every look-up fail, as an unreachable chain would. */
  failWith: Error | undefined;
  /** Set to return grants regardless of sensor (a buggy adapter): the service must still filter. */
  ignoreSensor = false;

  addSensor(sensor: string, principal: string, status: SensorInfo['status'] = 'active'): void {
    this.sensors.set(sensor, { sensor, principal, owner: principal, status, sensorType: 0, pricePerDataEntry: 1n });
  }

  grant(buyer: string, sensor: string, startTimestamp: number, dataEntries = 100): void {
    this.grants.push({
      subscription: `0x${'5'.repeat(39)}${this.grants.length}`,
      buyer,
      sensor,
      startTimestamp,
      dataEntries,
    });
  }

  async principalOfAccount(): Promise<string | undefined> {
    return undefined;
  }

  async sensor(sensor: string): Promise<SensorInfo | undefined> {
    if (this.failWith) throw this.failWith;
    return this.sensors.get(sensor);
  }

  async validSubscriptions(buyer: string, sensor: string): Promise<SubscriptionGrant[]> {
    if (this.failWith) throw this.failWith;
    if (this.sensors.get(sensor)?.status === 'blocked') return [];
    return this.grants.filter((g) => g.buyer === buyer && (this.ignoreSensor || g.sensor === sensor));
  }

  onEvent(_listener: (e: EntitlementEvent) => void): () => void {
    return () => undefined;
  }
}

export class FakeMeter implements Meter {
  left = new Map<string, number>();

  set(buyer: string, sensor: string, n: number): void {
    this.left.set(`${buyer}|${sensor}`, n);
  }

  async take(buyer: string, sensor: string, n: number): Promise<number> {
    const have = this.left.get(`${buyer}|${sensor}`) ?? 0;
    const got = Math.min(have, n);
    this.left.set(`${buyer}|${sensor}`, have - got);
    return got;
  }

  async remaining(buyer: string, sensor: string): Promise<number> {
    return this.left.get(`${buyer}|${sensor}`) ?? 0;
  }
}

export class FakeDirectory implements PrincipalDirectory {
  keys = new Map<string, string>();

  async rsaPublicKey(principal: string): Promise<string | undefined> {
    return this.keys.get(principal);
  }
}

export interface Sent {
  buyer: string;
  topic: string;
  payload: Buffer;
}

export class RecordingBuyerChannel implements BuyerChannel {
  sent: Sent[] = [];

  async send(buyer: string, topic: string, payload: Buffer): Promise<void> {
    this.sent.push({ buyer, topic, payload });
  }

  last(): Sent {
    return this.sent.at(-1)!;
  }
}

export class MemoryWrappedKeyCache implements WrappedKeyCache {
  entries = new Map<string, CachedGrant>();

  async get(sensor: string, keyId: number, buyer: string): Promise<CachedGrant | undefined> {
    return this.entries.get(`${sensor}:${keyId}:${buyer}`);
  }

  async put(buyer: string, grant: CachedGrant): Promise<void> {
    this.entries.set(`${grant.sensor}:${grant.keyId}:${buyer}`, grant);
  }
}
