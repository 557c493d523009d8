// The access rules, as pure functions of a verified identity and a topic (docs/broker.md, "ACL").
// Anything not named here is refused. Addresses in topics are lower-case (protocol/topics.ts).
import { sensorOfTopic, sensorTopic } from '../protocol/topics.ts';
import type { Identity } from '../auth/jwt.ts';

export type PublishRoute =
  | { kind: 'sensor-data'; sensor: string }
  | { kind: 'buyer-request'; principal: string }
  | { kind: 'seller-reply'; principal: string }
  | { kind: 'deny'; reason: string };

export type SubscribeRoute =
  { kind: 'own' } | { kind: 'sys' } | { kind: 'sensor'; sensor: string } | { kind: 'deny'; reason: string };

/** buyers/<own>/<...> or sellers/<own>/<...>: the principal's own tree, at least three levels. */
function ownTree(id: Identity, levels: string[]): 'buyers' | 'sellers' | undefined {
  if (id.kind !== 'principal' || levels.length < 3 || levels[1] !== id.sub) return undefined;
  return levels[0] === 'buyers' || levels[0] === 'sellers' ? levels[0] : undefined;
}

/** Topics under buyers/<own>/ only the gateway writes: notices, and key answers (keys/<id>). */
function gatewayOnly(levels: string[]): boolean {
  return levels[2] === 'notices' || (levels[2] === 'keys' && !(levels.length === 4 && levels[3] === 'request'));
}

export function publishRoute(id: Identity, topic: string): PublishRoute {
  if (topic.startsWith('$')) return { kind: 'deny', reason: '$ topics are reserved to the broker' };
  if (id.kind === 'sensor') {
    // A sensor publishes only to its own data topic.
    return topic === sensorTopic(id.sub)
      ? { kind: 'sensor-data', sensor: id.sub }
      : { kind: 'deny', reason: 'a sensor publishes only to sensors/<own address>' };
  }
  const levels = topic.split('/');
  const tree = ownTree(id, levels);
  // A buyer must not forge what the gateway says to it (notices, key answers).
  if (tree === 'buyers' && !gatewayOnly(levels)) return { kind: 'buyer-request', principal: id.sub };
  // A seller's key agent answers on keys/replies only (docs/key-exchange.md).
  if (tree === 'sellers' && topic === `sellers/${id.sub}/keys/replies`)
    return { kind: 'seller-reply', principal: id.sub };
  return {
    kind: 'deny',
    reason:
      'a principal publishes only under buyers/<own>/ (not notices or keys/<id>) or to sellers/<own>/keys/replies',
  };
}

export function subscribeRoute(id: Identity, filter: string): SubscribeRoute {
  if (id.kind === 'operator') {
    return filter === '$SYS/#' || filter.startsWith('$SYS/')
      ? { kind: 'sys' }
      : { kind: 'deny', reason: 'operators read $SYS only' };
  }
  if (id.kind === 'sensor') return { kind: 'deny', reason: 'sensors do not subscribe' };
  const sensor = sensorOfTopic(filter);
  if (sensor !== undefined) return { kind: 'sensor', sensor };
  // Any other filter reaching sensors/ (sensors/+, sensors/#, #, +/...) could reach unpaid
  // sensors; and anything outside the principal's own tree reaches other principals.
  const tree = ownTree(id, filter.split('/'));
  if (tree === 'buyers' || (tree === 'sellers' && filter === `sellers/${id.sub}/keys/requests`)) return { kind: 'own' };
  return {
    kind: 'deny',
    reason: 'only sensors/<address>, your own buyers/<p>/ tree and sellers/<p>/keys/requests can be subscribed',
  };
}

/** Who may receive a message on `topic` (authorizeForward), apart from metering. */
export function mayReceive(id: Identity, topic: string): 'sensor' | 'yes' | 'no' {
  if (topic.startsWith('$SYS/')) return id.kind === 'operator' ? 'yes' : 'no';
  if (id.kind !== 'principal') return 'no';
  if (sensorOfTopic(topic) !== undefined) return 'sensor';
  const tree = ownTree(id, topic.split('/'));
  return tree === 'buyers' || (tree === 'sellers' && topic === `sellers/${id.sub}/keys/requests`) ? 'yes' : 'no';
}
