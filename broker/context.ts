// What the broker's hooks share: the layers behind their interfaces, the live sessions, and a way
// to tell a buyer something. Built once by createBroker.
import type { Client } from 'aedes';
import type { Registry } from 'prom-client';
import type {
  BuyerRequestHandler,
  Entitlements,
  PublishListener,
  SellerMessageHandler,
  SensorLog,
} from '../interfaces/layers.ts';
import { sensorTopic } from '../protocol/topics.ts';
import type { Logger } from '../lib/log.ts';
import type { ThrottledLog } from '../lib/throttled-log.ts';
import type { TokenService } from '../auth/jwt.ts';
import type { RevocationStore } from '../auth/revocation.ts';
import { PrincipalChannel, noticeTopic, type Notice } from './channel.ts';
import type { RateLimiter } from './limits/rate.ts';
import type { CursorStore } from '../interfaces/cursor.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { NetworkPolicy } from '../sovereignty/network.ts';
import type { Session, Sessions } from './sessions.ts';
import type { AgentPresence } from './presence.ts';

export interface BrokerDeps {
  tokens: TokenService;
  revocations: RevocationStore;
  entitlements: Entitlements;
  /** Where each buyer is in each sensor's log, and what it was counted (the meter). */
  cursors: CursorStore;
  metering: DeliveryOptions;
  /** Reading sensors' logs for delivery (the bridge's tail); without it, no sensor data is delivered. */
  sensorLog?: SensorLog;
  publishListener?: PublishListener;
  buyerHandler?: BuyerRequestHandler;
  sellerHandler?: SellerMessageHandler;
  log: Logger;
  /** Prometheus registry for the broker's metrics (default: a private one). */
  registry?: Registry;
  /** Client networks allowed to connect (default: every network). */
  network?: NetworkPolicy;
}

export interface DeliveryOptions {
  /** QoS 1 entries per buyer and sensor sent and not yet acknowledged. */
  window: number;
  /** Entries per buyer and sensor delivered ahead of the durable cursor (goes on while Redis is away). */
  leaseSize: number;
}

/** The abuse limits and the network policy, checked first in the CONNECT and PUBLISH steps. */
export interface Guard {
  network: NetworkPolicy | undefined;
  connectRate: RateLimiter;
  publishRate: RateLimiter;
  maxPayloadBytes: number;
  /** The client address of each connection (after trusted-proxy resolution), set at accept. */
  peers: WeakMap<object, string>;
  /** Clients whose CONNECT carried a last will (aedes preConnect sees the packet; authenticate does not). */
  wills: WeakSet<Client>;
  /** Set when shutdown begins: no new connection or publish is taken. */
  closing: boolean;
}

/** The part of the session store (aedes-persistence's documented interface) the broker uses itself. */
export interface Persistence {
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
}

export interface BrokerContext extends BrokerDeps {
  sessions: Sessions;
  /** broker.listeners.tls.certIdentity: whether a client certificate names a sensor (broker/cert-identity.ts). */
  certIdentity: 'off' | 'either' | 'both';
  /** Every connection handed to Aedes and not yet closed, authenticated or not (broker/listeners.ts). */
  connections: Set<Client>;
  /** The session store Aedes was given (aedes-persistence-redis). */
  persistence: Persistence;
  /** Work that must finish before the broker lets Redis go (acknowledged entries being counted). */
  pending: Set<Promise<unknown>>;
  buyers: () => PrincipalChannel;
  /** Which sellers' key agents are connected (broker/presence.ts). */
  presence: AgentPresence;
  metrics: BrokerMetrics;
  guard: Guard;
  /** Resolves once the client's CONNACK went out: a restored session's delivery waits for it. */
  connacked(client: Client): Promise<void>;
  /** Publishes inside authorizePublish (waiting for the history store): shutdown lets them finish. */
  inflight: Set<Promise<void>>;
  /** Rate-limited refusal logs, so a flood cannot flood the log. */
  refusals: { connect: ThrottledLog; publish: ThrottledLog; connection: ThrottledLog; entitlement: ThrottledLog };
}

export function notify(ctx: BrokerContext, buyer: string, n: Omit<Notice, 'at'>): void {
  const body: Notice = { ...n, at: Date.now() };
  ctx.metrics.notices.inc({ type: n.type });
  ctx
    .buyers()
    .send(buyer, noticeTopic(buyer), Buffer.from(JSON.stringify(body)), 1)
    .catch((err: unknown) => ctx.log.warn({ err, buyer, type: n.type }, 'notice not sent'));
}

/** Cuts one sensor subscription of a live client, also from its stored session. */
export function dropSensorSubscription(ctx: BrokerContext, client: Client, sensor: string): void {
  const topic = sensorTopic(sensor);
  client.unsubscribe({ unsubscriptions: [topic] } as never, () => undefined);
  if (!client.clean) forgetStored(ctx, client, [topic]);
}

export function forgetStored(ctx: BrokerContext, client: Client, topics: string[]): void {
  ctx.persistence
    .removeSubscriptions({ id: client.id }, topics)
    .catch((err: unknown) => ctx.log.warn({ err }, 'stored subscription not removed'));
}

/** Ends one sensor's delivery to this session; what was acknowledged is still counted. */
export function stopFeed(ctx: BrokerContext, session: Session, sensor: string): void {
  const f = session.feeds?.get(sensor);
  if (!f) return;
  session.feeds!.delete(sensor);
  track(ctx, f.stop(), 'acknowledged entries not counted');
}

/** Runs `p` to the end even while the broker closes; failures are logged, not thrown. */
export function track(ctx: BrokerContext, p: Promise<unknown>, what: string): void {
  const t = p.catch((err: unknown) => ctx.log.warn({ err }, what)).finally(() => ctx.pending.delete(t));
  ctx.pending.add(t);
}
