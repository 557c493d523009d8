// SUBSCRIBE authorisation per filter. A refused filter gets 0x80 in its SUBACK slot
// [MQTT-3.9.3-2] (aedes: call back with a null subscription); the others are unaffected. A sensor
// filter needs a valid, started DataStreamSubscription on chain *and* unspent entries. Its cursor
// is read (or placed, at the start of the buyer's subscriptions) here; delivery from the log
// starts once aedes granted it ('subscribe' event, broker/feed.ts). A refused sensor filter also
// gets a notice saying why on buyers/<principal>/notices.
import type { Client, Subscription } from 'aedes';
import { isItradeError } from '../protocol/errors.ts';
import { sellerKeyRequestTopic } from '../protocol/topics.ts';
import { subscribeRoute } from './acl.ts';
import { paidLimit } from '../metering/meter.ts';
import type { SubscriptionGrant } from '../interfaces/layers.ts';
import type { Cursor } from '../interfaces/cursor.ts';
import { normAddress, sensorOfTopic } from '../protocol/topics.ts';
import { forgetStored, notify, stopFeed, track, type BrokerContext } from './context.ts';
import { Feed } from './feed.ts';
import type { Session } from './sessions.ts';
import { subscribeDone, traceSubscribe } from '../tracing/hooks.ts';
import { contextWith, inChildSpan, inContext, type Context } from '../tracing/tracing.ts';

type Verdict = { ok: true } | { ok: false; reason: string; definitive: boolean; code?: string; exhausted?: boolean };

async function sensorVerdict(
  ctx: BrokerContext,
  session: Session,
  sensor: string,
  sub: Subscription,
  trace: Context | undefined,
): Promise<Verdict> {
  const buyer = session.identity.sub;
  try {
    const grants = await inChildSpan(
      'entitlement.check',
      {},
      (c) => ctx.entitlements.validSubscriptions(buyer, sensor, c),
      trace,
    );
    if (grants.length === 0)
      return { ok: false, reason: 'no valid, started DataStreamSubscription for this sensor', definitive: true };
    const limit = paidLimit(grants);
    const cursor = await inChildSpan('metering.cursor', {}, () => startCursor(ctx, buyer, sensor, grants), trace);
    if (cursor.delivered >= limit)
      return { ok: false, reason: 'every paid data entry was delivered', definitive: true, exhausted: true };
    const s = normAddress(sensor);
    session.starting!.set(s, { sensor: s, topic: sub.topic, qos: sub.qos === 0 ? 0 : 1, limit, cursor });
    return { ok: true };
  } catch (err) {
    // Fail closed, but keep a stored subscription: the chain may answer again later.
    // Rate-limited: a chain outage during a subscribe storm would otherwise log a line per buyer.
    const code = isItradeError(err) ? err.code : undefined;
    inContext(trace, () =>
      ctx.refusals.entitlement.note(code ?? 'unexpected', buyer, {
        code,
        sensor,
        err: err instanceof Error ? err.message : String(err),
      }),
    );
    return {
      ok: false,
      reason: isItradeError(err) ? err.message : 'entitlement check failed',
      definitive: false,
      code: isItradeError(err) ? err.code : undefined,
    };
  }
}

// A buyer's first subscription to a sensor starts at the earliest of its subscriptions' starts:
// the history since then and the live stream are one read of the log, with no gap between them.
async function startCursor(
  ctx: BrokerContext,
  buyer: string,
  sensor: string,
  grants: readonly SubscriptionGrant[],
): Promise<Cursor> {
  const known = await ctx.cursors.get(buyer, sensor);
  if (known && known.next >= 0) return known;
  if (!ctx.sensorLog) return ctx.cursors.open(buyer, sensor, { next: 0, delivered: 0 });
  const since = Math.min(...grants.map((g) => g.startTimestamp)) * 1000;
  return ctx.cursors.open(buyer, sensor, { next: await ctx.sensorLog.offsetAt(sensor, since), delivered: 0 });
}

export function authorizeSubscribe(ctx: BrokerContext) {
  return (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void => {
    const session = ctx.sessions.get(client);
    if (!session) return done(null, null);
    const route = subscribeRoute(session.identity, sub.topic);
    if (route.kind === 'deny') {
      ctx.log.info({ clientId: client.id, filter: sub.topic, reason: route.reason }, 'subscription refused');
      ctx.metrics.subscribeRefused.inc({ reason: 'acl' });
      restoreRefused(ctx, client, sub.topic, true);
      return done(null, null);
    }
    if (route.kind !== 'sensor') return done(null, sub);
    const span = traceSubscribe(client.id, route.sensor);
    const trace = span && contextWith(span);
    // The answer too runs in the span's context: its log lines carry the trace id.
    void sensorVerdict(ctx, session, route.sensor, sub, trace).then(
      (v) =>
        inContext(trace, () => {
          subscribeDone(span, v.ok ? undefined : v.reason);
          if (v.ok) return done(null, sub);
          ctx.log.info({ clientId: client.id, sensor: route.sensor, reason: v.reason }, 'subscription refused');
          ctx.metrics.subscribeRefused.inc({
            reason: v.exhausted ? 'exhausted' : v.definitive ? 'not_entitled' : 'chain_unavailable',
          });
          notify(ctx, session.identity.sub, {
            type: v.exhausted ? 'entries-exhausted' : 'subscribe-refused',
            sensor: route.sensor,
            reason: v.reason,
            code: v.code,
          });
          restoreRefused(ctx, client, sub.topic, v.definitive);
          done(null, null);
        }),
      (err: unknown) =>
        inContext(trace, () => {
          subscribeDone(span, err);
          done(err as Error);
        }),
    );
  };
}

// A persistent session's stored subscriptions are authorised again at reconnect (aedes
// restoreSubs, before CONNACK). One that is refused for good is removed from the stored session
// too, so no further messages queue up for it.
function restoreRefused(ctx: BrokerContext, client: Client, topic: string, definitive: boolean): void {
  if (definitive && !client.clean && !client.connected) forgetStored(ctx, client, [topic]);
}

/**
 * Aedes stores the whole SUBSCRIBE packet's filters for a persistent session as soon as one of
 * them is granted (lib/handlers/subscribe.js, storeSubscriptions), refused ones included. Its
 * 'subscribe' event comes after that store: remove the refused ones there. A granted
 * sellers/<own>/keys/requests makes the connection its seller's key agent (broker/presence.ts).
 */
export function onSubscribed(ctx: BrokerContext) {
  return (subs: Subscription[], client: Client): void => {
    const refused = subs.filter((s) => (s.qos as number) === 128).map((s) => s.topic);
    if (refused.length > 0 && !client.clean) forgetStored(ctx, client, refused);
    const session = ctx.sessions.get(client);
    for (const sub of subs) {
      const sensor = sensorOfTopic(sub.topic);
      if (session && sensor && (sub.qos as number) !== 128) startFeed(ctx, session, normAddress(sensor));
    }
    // No session: the connection closed meanwhile, and its close has already run.
    const seller = session?.identity.sub;
    if (seller && subs.some((s) => (s.qos as number) !== 128 && s.topic === sellerKeyRequestTopic(seller)))
      track(ctx, ctx.presence.join(seller, client), 'key agent presence not recorded');
  };
}

/**
 * A restored session's subscriptions (aedes restoreSubs, before CONNACK) emit no 'subscribe'
 * event: their delivery starts once the CONNACK is out.
 */
export function onConnackSent(ctx: BrokerContext) {
  return (_packet: unknown, client: Client): void => {
    const session = ctx.sessions.get(client);
    for (const sensor of session?.starting?.keys() ?? []) startFeed(ctx, session!, sensor);
  };
}

function startFeed(ctx: BrokerContext, session: Session, sensor: string): void {
  const start = session.starting?.get(sensor);
  if (!start) return;
  session.starting!.delete(sensor);
  stopFeed(ctx, session, sensor); // the same filter again: delivery restarts from the cursor
  const feed = new Feed(ctx, session.client, session.identity.sub, start);
  session.feeds!.set(sensor, feed);
  feed.run();
}

/** The buyer unsubscribed: delivery of that sensor stops; what was acknowledged is counted. */
export function onUnsubscribed(ctx: BrokerContext) {
  return (topics: string[], client: Client): void => {
    const session = ctx.sessions.get(client);
    if (session && topics.includes(sellerKeyRequestTopic(session.identity.sub)))
      track(ctx, ctx.presence.leave(client), 'key agent presence not removed');
    if (!session?.feeds) return;
    for (const t of topics) {
      const sensor = sensorOfTopic(t);
      if (sensor) stopFeed(ctx, session, normAddress(sensor));
    }
  };
}
