// PUBLISH authorisation, as named steps. Aedes writes the PUBACK of a QoS 1 publish right after
// authorizePublish calls back and *before* it delivers or calls `published`
// (node_modules/aedes/lib/handlers/publish.js, enqueuePublish), and an error from
// authorizePublish closes the connection (lib/client.js, nextBatch -> _onError). So the history
// store is asked here: its acknowledgement gates both the PUBACK and the live delivery, and its
// refusal means no PUBACK and a disconnect, after which the device resends.
import type { Duplex } from 'node:stream';
import type { Client, PublishPacket } from 'aedes';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { publishAuthorised, publishDone, tracePublish, type PublishTrace } from '../tracing/hooks.ts';
import { inContext, withSpan } from '../tracing/tracing.ts';
import { publishRoute, type PublishRoute } from './acl.ts';
import { sensorOfFromNowTopic } from '../protocol/topics.ts';
import type { BrokerContext } from './context.ts';
import { reasonOf } from './metrics.ts';
import { flushed } from './socket.ts';
import type { Session } from './sessions.ts';

interface PublishState {
  session: Session;
  /** Place among the client's publishes (ClientPublishes.seq). */
  seq: number;
  packet: PublishPacket;
  route?: PublishRoute;
  /** Set when this publish is traced (tracing.samplingRatio). */
  trace?: PublishTrace;
}

type Step = (ctx: BrokerContext, s: PublishState) => Promise<void> | void;

interface ClientPublishes {
  inflight: Set<Promise<void>>;
  /** Publishes of this client so far: each one's place in the order it was sent. */
  seq: number;
  /** The first refusal and its place: the connection is closing, every later publish is refused too. */
  refused?: { err: Error; at: number };
}

const byClient = new WeakMap<Session, ClientPublishes>();

function clientState(s: Session): ClientPublishes {
  let c = byClient.get(s);
  if (!c) byClient.set(s, (c = { inflight: new Set(), seq: 0 }));
  return c;
}

// Once one publish of a client is refused, the rest of what it pipelined is refused without
// being stored: the connection is going, and none of them would be acknowledged.
const refuseAfterRefusal: Step = (_ctx, s) => {
  const refused = byClient.get(s.session)?.refused;
  if (refused && s.seq > refused.at) throw refused.err;
};

// Shutdown has begun: the publish is not taken, so no PUBACK; the device resends it elsewhere.
const refuseWhileClosing: Step = (ctx) => {
  if (ctx.guard.closing) throw itradeError('GATEWAY_SHUTTING_DOWN');
};

// Packets far over the limit never get here (broker/limits/packet-guard.ts cuts them off as they
// arrive); this is the exact bound on the payload.
const limitPayload: Step = (ctx, s) => {
  const size = (s.packet.payload as Buffer).length;
  if (size > ctx.guard.maxPayloadBytes)
    throw itradeError('LIMIT_PAYLOAD_TOO_LARGE', `payload of ${size} bytes; at most ${ctx.guard.maxPayloadBytes}`);
};

// Per sensor, on this instance: a device sending faster than broker.limits.publishRate loses its
// connection (MQTT 3.1.1 has no other way to refuse a PUBLISH) and the unacknowledged message.
const limitPublishRate: Step = (ctx, s) => {
  const id = s.session.identity;
  if (id.kind === 'sensor' && !ctx.guard.publishRate.take(id.sub)) throw itradeError('LIMIT_PUBLISH_RATE');
};

const route: Step = (_ctx, s) => {
  s.route = publishRoute(s.session.identity, s.packet.topic);
  if (s.route.kind === 'deny') throw itradeError('BROKER_PUBLISH_DENIED', s.route.reason);
};

// Sensor readings are a stream, not state: a retained reading would outlive its meaning.
const dropRetain: Step = (_ctx, s) => {
  if (s.route!.kind === 'sensor-data') s.packet.retain = false;
};

const handToListener: Step = async (ctx, s) => {
  const r = s.route!;
  if (r.kind !== 'sensor-data' || !ctx.publishListener) return;
  publishAuthorised(s.trace);
  const listener = ctx.publishListener;
  const accepted = {
    sensor: r.sensor,
    payload: s.packet.payload as Buffer,
    qos: s.packet.qos,
    receivedAt: Date.now(),
    clientId: s.session.client.id,
    // Aedes hands over the packet as mqtt-packet parsed it, DUP flag included.
    dup: s.packet.dup === true && s.packet.qos > 0,
    traceparent: s.trace?.traceparent,
  };
  // Handed over at once, in arrival order (so one device's pipelined publishes share a Kafka
  // batch), but acknowledged in order: this one completes only after the one before it
  // [MQTT-4.6.0-2].
  const before = s.session.tail;
  const mine = listener.onPublish(accepted).then(() => before);
  s.session.tail = mine.then(
    () => undefined,
    () => undefined,
  );
  try {
    await mine;
  } catch (err) {
    throw itradeError('BROKER_PUBLISH_FAILED', 'the history store did not take the publish', { cause: err });
  }
};

// "From now" (docs/broker.md): the buyer's cursor moves to the sensor's log end, counting nothing,
// before the PUBACK, so a SUBSCRIBE sent after the PUBACK starts there. A first subscription then
// finds the cursor placed and does not go back to the subscription's start (broker/subscribe.ts).
const skipToNow: Step = async (ctx, s) => {
  const sensor = s.route!.kind === 'buyer-request' ? sensorOfFromNowTopic(s.packet.topic) : undefined;
  if (!sensor || !ctx.sensorLog) return;
  const buyer = s.session.identity.sub;
  let entitled: boolean;
  let next: number;
  try {
    // Only for a sensor the buyer holds a subscription to: no cursors or Kafka topics for others.
    entitled = (await ctx.entitlements.validSubscriptions(buyer, sensor, s.trace?.ctx)).length > 0;
    next = entitled ? (await ctx.cursors.skipTo(buyer, sensor, await ctx.sensorLog.end(sensor))).next : -1;
  } catch (err) {
    throw itradeError('BROKER_PUBLISH_FAILED', 'the cursor could not be moved to the log end', { cause: err });
  }
  if (!entitled) throw itradeError('BROKER_PUBLISH_DENIED', 'from-now: no valid subscription to this sensor');
  inContext(s.trace?.ctx, () => ctx.log.info({ principal: buyer, sensor, next }, 'cursor moved to the log end'));
};

// Buyer requests go to the bridge / key service of this instance; they answer on the buyer's
// topics themselves, so the publish is not held up by them. Seller replies are not handed over
// here: they travel the cluster bus to every instance (broker/server.ts, sellerReplies).
const handToRequestHandler: Step = (ctx, s) => {
  const r = s.route!;
  const handler = ctx.buyerHandler;
  if (r.kind !== 'buyer-request' || !handler) return;
  const topic = s.packet.topic;
  // In the publish's context: the key service starts its keys.request span, a child of this
  // publish, before its first await (tracing/scope.ts carries a context that far only).
  inContext(s.trace?.ctx, () => handler.onBuyerMessage(r.principal, topic, s.packet.payload as Buffer)).catch(
    (err: unknown) => ctx.log.warn({ err, principal: r.principal, topic }, 'request handler failed'),
  );
};

export const publishSteps: Step[] = [
  refuseAfterRefusal,
  refuseWhileClosing,
  limitPayload,
  limitPublishRate,
  route,
  dropRetain,
  handToListener,
  skipToNow,
  handToRequestHandler,
];

export function authorizePublish(ctx: BrokerContext) {
  return (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void => {
    const session = client ? ctx.sessions.get(client) : undefined;
    if (!session) return done(itradeError('BROKER_PUBLISH_DENIED', 'no authenticated session'));
    const c = clientState(session);
    const trace = tracePublish(session.client.id, packet.topic, packet.qos);
    const state: PublishState = { session, packet, seq: ++c.seq, trace };
    const earlier = [...c.inflight];
    const handled = withSpan(trace?.span, () => answer(ctx, state, c, earlier, done));
    // Shutdown waits for these: their PUBACKs go out before the sessions close.
    c.inflight.add(handled);
    ctx.inflight.add(handled);
    void handled.finally(() => {
      c.inflight.delete(handled);
      ctx.inflight.delete(handled);
    });
  };
}

// Runs the steps, then allows or refuses the publish (inside its span, when traced).
function answer(
  ctx: BrokerContext,
  state: PublishState,
  c: ClientPublishes,
  earlier: Promise<void>[],
  done: (err?: Error | null) => void,
): Promise<void> {
  const { session, packet, trace } = state;
  return run(ctx, state).then(
    () => {
      // A publish refused before this one finished closes the connection: no PUBACK after it.
      if (c.refused && state.seq > c.refused.at) {
        publishDone(trace, c.refused.err);
        return refuse(session, c.refused.err, earlier, done);
      }
      ctx.metrics.publishes.inc({ role: session.identity.kind, qos: packet.qos });
      publishDone(trace);
      done(null);
    },
    (err: unknown) => {
      publishDone(trace, err);
      if (!c.refused || state.seq < c.refused.at) c.refused = { err: err as Error, at: state.seq };
      const reason = isItradeError(err, 'BROKER_PUBLISH_FAILED')
        ? 'history_store'
        : reasonOf(err).replace(/^(broker|limit)_/, '');
      ctx.metrics.publishRefused.inc({ reason });
      const cause = err instanceof Error && isItradeError(err.cause) ? err.cause.code : undefined;
      inContext(trace?.ctx, () =>
        ctx.refusals.publish.note(reason, session.client.id, {
          ...(isItradeError(err) ? { code: err.code } : { err: err instanceof Error ? err.message : String(err) }),
          cause,
        }),
      );
      return refuse(session, err as Error, earlier, done);
    },
  );
}

// A refusal closes the connection (Aedes ends the client on an authorizePublish error). First the
// client's earlier publishes finish and their PUBACKs leave, so what was acknowledged is exactly a
// prefix of what was sent, and nothing stored goes unacknowledged because a later one was refused.
async function refuse(
  session: Session,
  err: Error,
  earlier: Promise<void>[],
  done: (err?: Error | null) => void,
): Promise<void> {
  await Promise.allSettled(earlier);
  await flushed(session.client.conn as unknown as Duplex, 1000);
  done(err);
}

async function run(ctx: BrokerContext, s: PublishState): Promise<void> {
  for (const step of publishSteps) await step(ctx, s);
}
