// The market as a buyer searches it: every sensor the marketplace registered, its current status
// and price, from the marketplace's events (it emits them all, docs/contracts.md "Events"), plus
// the location each sensor stores, filtered by type, price and area.
import type { Provider } from 'ethers';
import { attachMarketplace, attachSensor, readMarketplaceEvents, sensorStatusOf } from '../contracts/client.ts';
import type { SensorStatus } from '../interfaces/layers.ts';
import { itradeError } from '../protocol/errors.ts';

export interface SensorListing {
  sensor: string;
  /** The seller's principal. */
  principal: string;
  sensorType: number;
  typeName: string;
  latitude: number;
  longitude: number;
  /** Wei per data entry. */
  price: bigint;
  status: SensorStatus;
  subscriptions: number;
  /** From `near`, when given. */
  distanceKm?: number;
}

export interface MarketFilter {
  /** Type ids or names (case and punctuation ignored: "air-pollution" = "AirPollution"). */
  types?: readonly (number | string)[];
  maxPrice?: bigint;
  near?: { latitude: number; longitude: number; radiusKm: number };
  /** Also list inactive and blocked sensors. */
  all?: boolean;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Great-circle distance in km (haversine, mean Earth radius). */
export function distanceKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

function typeIds(filter: readonly (number | string)[], names: Map<number, string>): Set<number> {
  return new Set(
    filter.map((t) => {
      if (typeof t === 'number' || /^\d+$/.test(t)) return Number(t);
      const hit = [...names].find(([, n]) => norm(n) === norm(t));
      if (!hit)
        throw itradeError(
          'SIM_PROFILE',
          `no sensor type "${t}" on this marketplace (types: ${[...names.values()].join(', ')})`,
        );
      return hit[0];
    }),
  );
}

type Draft = Omit<SensorListing, 'latitude' | 'longitude' | 'typeName'>;

function replay(events: Awaited<ReturnType<typeof readMarketplaceEvents>>): {
  sensors: Map<string, Draft>;
  names: Map<number, string>;
} {
  const sensors = new Map<string, Draft>();
  const names = new Map<number, string>();
  for (const e of events) {
    if (e.name === 'SensorTypeAdded') names.set(Number(e.args.sensorType), e.args.name);
    else if (e.name === 'SensorRegistered') {
      const a = e.args.sensor.toLowerCase();
      sensors.set(a, {
        sensor: a,
        principal: e.args.principal.toLowerCase(),
        sensorType: Number(e.args.sensorType),
        price: e.args.pricePerDataEntry,
        status: 'inactive',
        subscriptions: 0,
      });
    } else if (e.name === 'SensorStatusChanged') {
      const s = sensors.get(e.args.sensor.toLowerCase());
      if (s) s.status = sensorStatusOf(e.args.status);
    } else if (e.name === 'SensorPriceChanged') {
      const s = sensors.get(e.args.sensor.toLowerCase());
      if (s) s.price = e.args.pricePerDataEntry;
    } else if (e.name === 'Subscribed') {
      const s = sensors.get(e.args.sensor.toLowerCase());
      if (s) s.subscriptions++;
    }
  }
  return { sensors, names };
}

/** Sensors matching the filter, cheapest first (then nearest). */
export async function listSensors(
  provider: Provider,
  marketplace: string,
  fromBlock: number,
  f: MarketFilter = {},
): Promise<SensorListing[]> {
  const { sensors, names } = replay(await readMarketplaceEvents(provider, marketplace, fromBlock));
  const types = f.types?.length ? typeIds(f.types, names) : undefined;
  const candidates = [...sensors.values()].filter(
    (s) =>
      (f.all || s.status === 'active') &&
      (!types || types.has(s.sensorType)) &&
      (f.maxPrice === undefined || s.price <= f.maxPrice),
  );
  const listed = await Promise.all(
    candidates.map(async (s): Promise<SensorListing> => {
      const c = attachSensor(s.sensor, provider);
      const [lat, lon] = await Promise.all([c.latitudeE6(), c.longitudeE6()]);
      const l: SensorListing = {
        ...s,
        typeName: names.get(s.sensorType) ?? `type ${s.sensorType}`,
        latitude: Number(lat) / 1e6,
        longitude: Number(lon) / 1e6,
      };
      if (f.near) l.distanceKm = distanceKm(f.near, l);
      return l;
    }),
  );
  return listed
    .filter((l) => !f.near || l.distanceKm! <= f.near.radiusKm)
    .sort((a, b) => (a.price === b.price ? (a.distanceKm ?? 0) - (b.distanceKm ?? 0) : a.price < b.price ? -1 : 1));
}

/** One sensor as the chain has it now (any status); SIM_PROFILE when it is not a sensor of this marketplace. */
export async function describeSensor(
  provider: Provider,
  marketplace: string,
  sensor: string,
): Promise<SensorListing & { owner: string }> {
  const m = attachMarketplace(marketplace, provider);
  if (!(await m.isSensor(sensor)))
    throw itradeError('SIM_PROFILE', `${sensor} is not a sensor of marketplace ${marketplace}`);
  const c = attachSensor(sensor, provider);
  const [principal, owner, type, lat, lon, price, status, subs] = await Promise.all([
    c.principal(),
    c.owner(),
    c.sensorType(),
    c.latitudeE6(),
    c.longitudeE6(),
    c.pricePerDataEntry(),
    c.status(),
    c.subscriptionCount(),
  ]);
  return {
    sensor: sensor.toLowerCase(),
    principal: principal.toLowerCase(),
    owner: owner.toLowerCase(),
    sensorType: Number(type),
    typeName: await m.sensorTypeName(type),
    latitude: Number(lat) / 1e6,
    longitude: Number(lon) / 1e6,
    price,
    status: sensorStatusOf(status),
    subscriptions: Number(subs),
  };
}
