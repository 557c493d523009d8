// Delivery to buyers. authorizeForward: synchronous, once per delivery to one client, also for a
// persistent session's offline queue (aedes emptyQueue) and retained messages. It reads only
// memory: the session's identity and its metering leases (metering/leases.ts). Entries a lease
// held back for want of credit are delivered from here too, once the credit came (leaseHost).
import type { AedesPublishPacket, Client } from 'aedes';
import { sensorOfTopic } from '../protocol/topics.ts';
import { traceDelivery } from '../tracing/hooks.ts';
import type { HeldEntry, LeaseHost } from '../metering/leases.ts';
import { mayReceive } from './acl.ts';
import { dropSensorSubscription, notify, type BrokerContext } from './context.ts';

export function authorizeForward(ctx: BrokerContext) {
  return (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const session = ctx.sessions.get(client);
    if (!session) return null;
    const may = mayReceive(session.identity, packet.topic);
    if (may === 'yes') {
      ctx.metrics.deliveries.inc({ kind: deliveryKind(packet.topic) });
      traceDelivery(packet as { payload: Buffer }, { 'messaging.client.id': client.id });
      return packet;
    }
    if (may === 'no' || !session.leases) return null;
    const sensor = sensorOfTopic(packet.topic)!;
    const entry = { topic: packet.topic, payload: packet.payload as Buffer, qos: packet.qos };
    if (!session.leases.forward(sensor, entry)) return null;
    ctx.metrics.deliveries.inc({ kind: 'sensor_data' });
    ctx.metrics.meteredEntries.inc();
    traceDelivery(packet as { payload: Buffer }, { 'messaging.client.id': client.id, 'itrade.metered': true });
    return packet;
  };
}

/** What a buyer connection's leases do with it: deliver held entries, end a paid-up sensor's subscription. */
export function leaseHost(ctx: BrokerContext, client: Client, buyer: string): LeaseHost {
  return {
    redeliver: (_sensor, e) => redeliver(client, e),
    exhausted: (sensor) => {
      notify(ctx, buyer, { type: 'entries-exhausted', sensor, reason: 'every paid data entry was delivered' });
      dropSensorSubscription(ctx, client, sensor);
    },
  };
}

/** The one private Aedes method the gateway calls (test/broker/aedes-internals.test.ts fails if it changes). */
export type Deliverable = { deliverQoS(packet: object, done: () => void): void };

// A held entry goes straight to this client's delivery, as aedes does for retained messages
// (lib/handlers/subscribe.js, sendRetained): brokerId null, or aedes' per-broker dedupe would
// drop every later live entry whose counter is lower than the fresh one client.publish assigns.
// deliverQoS runs authorizeForward synchronously, so the lease's prepaid entry (LeaseBook
// .forward) is this one, in order; the public client.publish would first write a persistent
// session's outgoing store, letting later live entries overtake.
function redeliver(client: Client, e: HeldEntry): void {
  (client as unknown as Deliverable).deliverQoS(
    { cmd: 'publish', topic: e.topic, payload: e.payload, qos: e.qos, retain: false, dup: false, brokerId: null },
    () => undefined,
  );
}

// A bounded label from the topic scheme (protocol/topics.ts): never the topic itself.
function deliveryKind(topic: string): string {
  if (topic.startsWith('$SYS/')) return 'system';
  const [root, , service] = topic.split('/');
  if (root === 'buyers' && (service === 'notices' || service === 'keys' || service === 'replay'))
    return service === 'notices' ? 'notice' : service;
  if (root === 'sellers') return 'keys';
  return 'other';
}
