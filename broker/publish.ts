// PUBLISH authorisation, as named steps. Aedes writes the PUBACK of a QoS 1 publish right after
// authorizePublish calls back and *before* it delivers or calls `published`
// (node_modules/aedes/lib/handlers/publish.js, enqueuePublish), and an error from
// authorizePublish closes the connection (lib/client.js, nextBatch -> _onError). So the history
// store is asked here: its acknowledgement gates both the PUBACK and the live delivery, and its
// refusal means no PUBACK and a disconnect, after which the device resends.
import type { Client, PublishPacket } from 'aedes';
import { itradeError } from '../lib/errors.ts';
import { publishRoute, type PublishRoute } from './acl.ts';
import type { BrokerContext } from './context.ts';
import type { Session } from './sessions.ts';

interface PublishState {
  session: Session;
  packet: PublishPacket;
  route?: PublishRoute;
}

type Step = (ctx: BrokerContext, s: PublishState) => Promise<void> | void;

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
  const listener = ctx.publishListener;
  const accepted = { sensor: r.sensor, payload: s.packet.payload as Buffer, qos: s.packet.qos, receivedAt: Date.now(), clientId: s.session.client.id };
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

// Buyer requests go to the bridge / key service of this instance; they answer on the buyer's
// topics themselves, so the publish is not held up by them. Seller replies are not handed over
// here: they travel the cluster bus to every instance (broker/server.ts, sellerReplies).
const handToRequestHandler: Step = (ctx, s) => {
  const r = s.route!;
  if (r.kind !== 'buyer-request' || !ctx.buyerHandler) return;
  const topic = s.packet.topic;
  ctx.buyerHandler.onBuyerMessage(r.principal, topic, s.packet.payload as Buffer).catch((err: unknown) => ctx.log.warn({ err, principal: r.principal, topic }, 'request handler failed'));
};

export const publishSteps: Step[] = [route, dropRetain, handToListener, handToRequestHandler];

export function authorizePublish(ctx: BrokerContext) {
  return (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void => {
    const session = client ? ctx.sessions.get(client) : undefined;
    if (!session) return done(itradeError('BROKER_PUBLISH_DENIED', 'no authenticated session'));
    const state: PublishState = { session, packet };
    run(ctx, state).then(
      () => done(null),
      (err: unknown) => {
        ctx.log.info({ clientId: session.client.id, topic: packet.topic, err }, 'publish refused');
        done(err as Error);
      },
    );
  };
}

async function run(ctx: BrokerContext, s: PublishState): Promise<void> {
  for (const step of publishSteps) await step(ctx, s);
}
