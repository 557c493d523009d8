// authorizeForward: synchronous, once per delivery to one client, also for a persistent
// session's offline queue (aedes emptyQueue) and retained messages. It reads only memory: the
// session's identity and its metering leases (metering/leases.ts).
import type { AedesPublishPacket, Client } from 'aedes';
import { sensorOfTopic } from '../protocol/topics.ts';
import { mayReceive } from './acl.ts';
import type { BrokerContext } from './context.ts';

export function authorizeForward(ctx: BrokerContext) {
  return (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const session = ctx.sessions.get(client);
    if (!session) return null;
    const may = mayReceive(session.identity, packet.topic);
    if (may === 'yes') {
      ctx.metrics.deliveries.inc({ kind: deliveryKind(packet.topic) });
      return packet;
    }
    if (may === 'no' || !session.leases) return null;
    const sensor = sensorOfTopic(packet.topic)!;
    const entry = { topic: packet.topic, payload: packet.payload as Buffer, qos: packet.qos };
    if (!session.leases.forward(sensor, entry)) return null;
    ctx.metrics.deliveries.inc({ kind: 'sensor_data' });
    ctx.metrics.meteredEntries.inc();
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
