// SUBSCRIBE authorisation per filter. A refused filter gets 0x80 in its SUBACK slot
// [MQTT-3.9.3-2] (aedes: call back with a null subscription); the others are unaffected. A sensor
// filter needs a valid, started DataStreamSubscription on chain *and* unspent entries: the first
// metering lease is taken here, where waiting on Redis is allowed, so authorizeForward never has
// to. A refused sensor filter also gets a notice saying why on buyers/<principal>/notices.
import type { Client, Subscription } from 'aedes';
import { isItradeError } from '../protocol/errors.ts';
import { sellerKeyRequestTopic } from '../protocol/topics.ts';
import { subscribeRoute } from './acl.ts';
import { forgetStored, notify, track, type BrokerContext } from './context.ts';
import type { Session } from './sessions.ts';

type Verdict = { ok: true } | { ok: false; reason: string; definitive: boolean; code?: string; exhausted?: boolean };

async function sensorVerdict(ctx: BrokerContext, session: Session, sensor: string): Promise<Verdict> {
  const buyer = session.identity.sub;
  try {
    const grants = await ctx.entitlements.validSubscriptions(buyer, sensor);
    if (grants.length === 0)
      return { ok: false, reason: 'no valid, started DataStreamSubscription for this sensor', definitive: true };
    const credit = await session.leases!.open(sensor, grants);
    if (credit === 0)
      return { ok: false, reason: 'every paid data entry was delivered', definitive: true, exhausted: true };
    return { ok: true };
  } catch (err) {
    // Fail closed, but keep a stored subscription: the chain may answer again later.
    // Rate-limited: a chain outage during a subscribe storm would otherwise log a line per buyer.
    const code = isItradeError(err) ? err.code : undefined;
    ctx.refusals.entitlement.note(code ?? 'unexpected', buyer, {
      code,
      sensor,
      err: err instanceof Error ? err.message : String(err),
    });
    return {
      ok: false,
      reason: isItradeError(err) ? err.message : 'entitlement check failed',
      definitive: false,
      code: isItradeError(err) ? err.code : undefined,
    };
  }
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
    sensorVerdict(ctx, session, route.sensor).then(
      (v) => {
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
      },
      (err: unknown) => done(err as Error),
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
    // No session: the connection closed meanwhile, and its close has already run.
    const seller = ctx.sessions.get(client)?.identity.sub;
    if (seller && subs.some((s) => (s.qos as number) !== 128 && s.topic === sellerKeyRequestTopic(seller)))
      track(ctx, ctx.presence.join(seller, client), 'key agent presence not recorded');
  };
}

/** The buyer unsubscribed: its lease for that sensor goes back to the shared counter. */
export function onUnsubscribed(ctx: BrokerContext) {
  return (topics: string[], client: Client): void => {
    const session = ctx.sessions.get(client);
    if (session && topics.includes(sellerKeyRequestTopic(session.identity.sub)))
      track(ctx, ctx.presence.leave(client), 'key agent presence not removed');
    if (!session?.leases) return;
    for (const t of topics) {
      const sensor = t.startsWith('sensors/') ? t.slice('sensors/'.length) : undefined;
      if (sensor && session.leases.has(sensor)) track(ctx, session.leases.close(sensor), 'lease not returned');
    }
  };
}
