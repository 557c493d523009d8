// Delivery to buyers of what travels aedes' own bus: notices, key replies, replay entries, $SYS.
// authorizeForward runs synchronously, once per delivery to one client, also for a persistent
// session's offline queue (aedes emptyQueue) and retained messages. Sensor data never comes
// this way: it is not handed to aedes' bus at all (broker/server.ts, keepSensorDataOffTheBus)
// and each buyer reads it from the log at its cursor (broker/feed.ts). Should an old queue in
// Redis still hold sensor data, it is not delivered from there either.
import type { AedesPublishPacket, Client } from 'aedes';
import { mayReceive } from './acl.ts';
import type { BrokerContext } from './context.ts';

export function authorizeForward(ctx: BrokerContext) {
  return (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const session = ctx.sessions.get(client);
    if (!session || mayReceive(session.identity, packet.topic) !== 'yes') return null;
    ctx.metrics.deliveries.inc({ kind: deliveryKind(packet.topic) });
    return packet;
  };
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
