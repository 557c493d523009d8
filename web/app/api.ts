// What the page asks the gateway: its own settings (/app/config.json) and the GraphQL API
// (docs/graphql.md). A GraphQL error keeps the gateway's code (ITRADE_ERR_...), so the page
// can show it in words with its code.
import { errorFromCode, itradeError, oneLine, type ItradeError } from '../../protocol/errors.ts';

export interface AppConfig {
  /** MQTT over WebSocket URL for the SDK's Buyer and KeyAgent. */
  mqttUrl: string;
  /** The MQTT TCP port devices publish to (for the seller's mosquitto_pub line); undefined: none. */
  tcpPort: number | undefined;
}

export async function loadConfig(): Promise<AppConfig> {
  type Served = { mqttUrl: string; wsPort: number | null; wsPath: string; tcpPort: number | null };
  const c = (await (await fetch('config.json')).json()) as Served;
  const tcpPort = c.tcpPort ?? undefined;
  if (c.mqttUrl) return { mqttUrl: c.mqttUrl, tcpPort };
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return { mqttUrl: `${scheme}://${location.hostname}:${c.wsPort ?? location.port}${c.wsPath}`, tcpPort };
}

interface GqlAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs a GraphQL operation on /graphql; `token` is the principal token when signed in. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw itradeError('SIM_GATEWAY_UNREACHABLE', `the gateway does not answer: ${oneLine(err)}`, { cause: err });
  }
  const json = (await res.json().catch(() => ({}))) as GqlAnswer<T>;
  const first = json.errors?.[0];
  if (first) throw errorFromCode(first.extensions?.code, first.message, 'SIM_GATEWAY_REFUSED') as ItradeError;
  if (!json.data) throw itradeError('SIM_GATEWAY_REFUSED', `HTTP ${res.status} without data`);
  return json.data;
}

export const SENSOR_FIELDS = `address type { id name } location { latitude longitude } price status owner
  seller { address name } subscriptionCount activity { entriesStored lastPublishAt }`;

export interface SensorView {
  address: string;
  type: { id: number; name: string };
  location: { latitude: number; longitude: number };
  price: string;
  status: 'INACTIVE' | 'ACTIVE' | 'BLOCKED';
  owner: string;
  seller: { address: string; name: string };
  subscriptionCount: number;
  activity: { entriesStored: number; lastPublishAt: string | null };
}

export interface Filters {
  types?: number[];
  status?: string[];
  minPrice?: string;
  maxPrice?: string;
  within?: { south: number; west: number; north: number; east: number };
}

export async function sensorsPage(filter: Filters): Promise<SensorView[]> {
  const q = `query($f: SensorFilter) { sensors(filter: $f, first: 100) { edges { node { ${SENSOR_FIELDS} } } } }`;
  const d = await gql<{ sensors: { edges: { node: SensorView }[] } }>(q, { f: filter });
  return d.sensors.edges.map((e) => e.node);
}

export interface MarketView {
  address: string;
  chainId: number;
  principalFee: string;
  sensorFee: string;
  commissionBps: number;
  sensorTypes: { id: number; name: string }[];
  indexedBlock: number;
}

export async function marketplace(): Promise<MarketView> {
  const q = `{ marketplace { address chainId principalFee sensorFee commissionBps
    sensorTypes { id name } indexedBlock } }`;
  return (await gql<{ marketplace: MarketView }>(q)).marketplace;
}
