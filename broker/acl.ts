// The access rules, as pure functions of a verified identity and a topic (docs/broker.md, "ACL").
// Anything not named here is refused. Addresses in topics are lower-case (core/topics.ts).
import { sensorOfTopic, sensorTopic } from '../core/topics.ts';
import type { Identity } from './auth/jwt.ts';

export type PublishRoute =
  | { kind: 'sensor-data'; sensor: string }
  | { kind: 'buyer-request'; principal: string }
  | { kind: 'seller-request'; principal: string }
  | { kind: 'deny'; reason: string };

export type SubscribeRoute =
  | { kind: 'own' }
  | { kind: 'sys' }
  | { kind: 'sensor'; sensor: string }
  | { kind: 'deny'; reason: string };

/** buyers/<own>/<...> or sellers/<own>/<...>: the principal's own tree, at least three levels. */
function ownTree(id: Identity, levels: string[]): 'buyers' | 'sellers' | undefined {
  if (id.kind !== 'principal' || levels.length < 3 || levels[1] !== id.sub) return undefined;
  return levels[0] === 'buyers' || levels[0] === 'sellers' ? levels[0] : undefined;
}

export function publishRoute(id: Identity, topic: string): PublishRoute {
  if (topic.startsWith('$')) return { kind: 'deny', reason: '$ topics are reserved to the broker' };
  if (id.kind === 'sensor') {
    // A sensor publishes only to its own data topic.
    return topic === sensorTopic(id.sub) ? { kind: 'sensor-data', sensor: id.sub } : { kind: 'deny', reason: 'a sensor publishes only to sensors/<own address>' };
  }
  const levels = topic.split('/');
  const tree = ownTree(id, levels);
  // Only the gateway writes notices: a buyer must not forge one to itself or its other devices.
  if (!tree || levels[2] === 'notices') return { kind: 'deny', reason: 'a principal publishes only under buyers/<own>/ or sellers/<own>/ (not notices)' };
  return tree === 'buyers' ? { kind: 'buyer-request', principal: id.sub } : { kind: 'seller-request', principal: id.sub };
}

export function subscribeRoute(id: Identity, filter: string): SubscribeRoute {
  if (id.kind === 'operator') {
    return filter === '$SYS/#' || filter.startsWith('$SYS/') ? { kind: 'sys' } : { kind: 'deny', reason: 'operators read $SYS only' };
  }
  if (id.kind === 'sensor') return { kind: 'deny', reason: 'sensors do not subscribe' };
  const sensor = sensorOfTopic(filter);
  if (sensor !== undefined) return { kind: 'sensor', sensor };
  // Any other filter reaching sensors/ (sensors/+, sensors/#, #, +/...) could reach unpaid
  // sensors; and anything outside the principal's own tree reaches other principals.
  if (ownTree(id, filter.split('/'))) return { kind: 'own' };
  return { kind: 'deny', reason: 'only sensors/<address> and your own buyers/ or sellers/ tree can be subscribed' };
}

/** Who may receive a message on `topic` (authorizeForward), apart from metering. */
export function mayReceive(id: Identity, topic: string): 'sensor' | 'yes' | 'no' {
  if (topic.startsWith('$SYS/')) return id.kind === 'operator' ? 'yes' : 'no';
  if (id.kind !== 'principal') return 'no';
  if (sensorOfTopic(topic) !== undefined) return 'sensor';
  return ownTree(id, topic.split('/')) ? 'yes' : 'no';
}
