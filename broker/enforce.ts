// Cutting live sessions when their right to be there ends: operator revocation (a Redis pub/sub
// message every instance receives) and chain events each instance reads itself (a sensor
// deactivated or blocked loses its connection; a blocked sensor's subscriptions are invalid
// on chain, so its buyers are unsubscribed and told). A reorg that removes what an event granted
// is taken back the same way (issue 16): a subscription with no other valid one left ends, a
// sensor that is no longer registered is treated as blocked, a principal's sessions close.
import type { EntitlementEvent } from '../interfaces/layers.ts';
import { covers, type Revocation } from '../auth/revocation.ts';
import { dropSensorSubscription, notify, stopFeed, type BrokerContext } from './context.ts';
import type { Session } from './sessions.ts';

export function onRevocation(ctx: BrokerContext) {
  return (r: Revocation): void => {
    for (const s of ctx.sessions.filter((s) => covers(r, s.identity))) {
      ctx.log.info({ clientId: s.client.id, sub: s.identity.sub }, 'revoked session closed');
      s.client.close();
    }
  };
}

export function onChainEvent(ctx: BrokerContext) {
  return (e: EntitlementEvent): void => {
    if (e.kind === 'subscription-retracted') {
      if (e.remaining === 0) endSubscriptions(ctx, e.sensor, REORGED, e.buyer);
      return;
    }
    if (e.kind === 'principal-retracted') {
      for (const s of ctx.sessions.filter((s) => s.identity.sub === e.principal || principalOf(s) === e.principal)) {
        ctx.log.info({ principal: e.principal }, 'principal no longer registered (reorg): session closed');
        s.client.close();
      }
      return;
    }
    const status = e.kind === 'sensor-retracted' ? 'unregistered' : e.kind === 'sensor-status' ? e.status : 'active';
    if (status === 'active' || !('sensor' in e)) return;
    for (const s of ctx.sessions.filter((s) => s.identity.kind === 'sensor' && s.identity.sub === e.sensor)) {
      ctx.log.info({ sensor: e.sensor, status }, 'sensor no longer active: device disconnected');
      s.client.close();
    }
    if (status === 'blocked') endSubscriptions(ctx, e.sensor, BLOCKED);
    if (status === 'unregistered') endSubscriptions(ctx, e.sensor, UNREGISTERED);
  };
}

const BLOCKED = 'the sensor was blocked by the marketplace: its subscriptions are no longer valid';
const REORGED = 'the subscription was removed from the chain by a reorganisation: it is no longer valid';
const UNREGISTERED = 'the sensor registration was removed from the chain by a reorganisation';

const principalOf = (s: Session): string | undefined =>
  s.identity.kind === 'sensor' ? s.identity.principal : undefined;

/** Ends live subscriptions to `sensor` (of one buyer, or all): feed stopped, unsubscribed, told why. */
function endSubscriptions(ctx: BrokerContext, sensor: string, reason: string, buyer?: string): void {
  const ended = (s: Session) => s.feeds?.has(sensor) === true && (buyer === undefined || s.identity.sub === buyer);
  for (const s of ctx.sessions.filter(ended)) {
    stopFeed(ctx, s, sensor);
    dropSensorSubscription(ctx, s.client, sensor);
    notify(ctx, s.identity.sub, { type: 'subscription-ended', sensor, reason });
  }
}
