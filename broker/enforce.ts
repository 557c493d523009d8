// Cutting live sessions when their right to be there ends: operator revocation (a Redis pub/sub
// message every instance receives) and chain events each instance reads itself (a sensor
// deactivated or blocked loses its connection; a blocked sensor's subscriptions are invalid
// on chain, so its buyers are unsubscribed and told).
import type { EntitlementEvent } from '../interfaces/layers.ts';
import { covers, type Revocation } from '../auth/revocation.ts';
import { dropSensorSubscription, notify, stopFeed, type BrokerContext } from './context.ts';

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
    if (e.kind !== 'sensor-status' || e.status === 'active') return;
    for (const s of ctx.sessions.filter((s) => s.identity.kind === 'sensor' && s.identity.sub === e.sensor)) {
      ctx.log.info({ sensor: e.sensor, status: e.status }, 'sensor no longer active: device disconnected');
      s.client.close();
    }
    if (e.status !== 'blocked') return;
    for (const s of ctx.sessions.filter((s) => s.feeds?.has(e.sensor) === true)) {
      stopFeed(ctx, s, e.sensor);
      dropSensorSubscription(ctx, s.client, e.sensor);
      notify(ctx, s.identity.sub, {
        type: 'subscription-ended',
        sensor: e.sensor,
        reason: 'the sensor was blocked by the marketplace: its subscriptions are no longer valid',
      });
    }
  };
}
