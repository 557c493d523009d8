// The spans of the MQTT flows, one small function per stage, called where the stage happens:
//
//   mqtt.publish (authorizePublish called .. PUBACK allowed)          broker/publish.ts
//     publish.authorise (steps before the hand-over to the bridge)
//     bridge.queue (accepted by the writer .. its batch leaves)       bridge/writer.ts
//     kafka.append (the batch's produce request .. acks=all)
//     mqtt.deliver (Kafka's ack .. handed to a buyer's connection)   broker/feed.ts, per buyer
//   mqtt.subscribe > entitlement.check > chain.call, metering.lease   broker/subscribe.ts
//   keys.request > one span per step > keys.agent (the agent's answer) keys/key-service.ts
//
// The publish span's context travels with the record as a `traceparent` Kafka header (only on
// sampled publishes: headers cost kafkajs throughput, docs/bridge.md), so a delivery read from the
// log continues the same trace (`traceDelivery` with the header); the instance that took the
// publish hands it over to its own buyers' feeds with the same traceparent (bridge/tail.ts).
import type { Attributes } from '@opentelemetry/api';
import {
  childSpan,
  contextOfTraceparent,
  contextWith,
  failed,
  rootSpan,
  traceparentOf,
  tracingOn,
  type Context,
  type Span,
} from './tracing.ts';

export const TRACEPARENT_HEADER = 'traceparent';

/** One sampled PUBLISH being handled. */
export interface PublishTrace {
  span: Span;
  ctx: Context;
  authorise: Span | undefined;
  traceparent: string;
}

/** A PUBLISH packet arrived (authorizePublish); undefined when not traced. */
export function tracePublish(clientId: string, topic: string, qos: number): PublishTrace | undefined {
  // Attributes by a function: built only for the sampled publishes.
  const span = rootSpan('mqtt.publish', () => ({
    'messaging.system': 'mqtt',
    'messaging.operation.type': 'publish',
    'messaging.destination.name': topic,
    'messaging.client.id': clientId,
    'itrade.qos': qos,
  }));
  if (!span) return undefined;
  const ctx = contextWith(span);
  return { span, ctx, authorise: childSpan('publish.authorise', undefined, ctx), traceparent: traceparentOf(span) };
}

/** The checks passed; the payload goes to the history store. */
export function publishAuthorised(t: PublishTrace | undefined): void {
  t?.authorise?.end();
}

/** The publish is answered: allowed (its deliveries may follow) or refused with `err`. */
export function publishDone(t: PublishTrace | undefined, err?: unknown): void {
  if (!t) return;
  t.authorise?.end();
  if (err !== undefined) failed(t.span, err);
  t.span.end();
}

/** The writer took a sampled record at `acceptedAt`, sent its batch at `sentAt`, Kafka acknowledged at `ackedAt`. */
export function traceKafkaWrite(
  traceparent: string | undefined,
  times: { acceptedAt: number; sentAt: number; ackedAt: number },
  batch: Attributes,
): void {
  if (!traceparent || !tracingOn()) return;
  const parent = contextOfTraceparent(traceparent);
  if (!parent) return;
  const sentAt = Math.max(times.sentAt, times.acceptedAt);
  childSpan('bridge.queue', batch, parent, times.acceptedAt)?.end(sentAt);
  childSpan('kafka.append', batch, parent, sentAt)?.end(times.ackedAt);
}

/** A SUBSCRIBE to a sensor's stream (authorizeSubscribe); undefined when not traced. */
export function traceSubscribe(clientId: string, sensor: string): Span | undefined {
  return rootSpan('mqtt.subscribe', () => ({
    'messaging.system': 'mqtt',
    'messaging.operation.type': 'subscribe',
    'messaging.client.id': clientId,
    'itrade.sensor': sensor,
  }));
}

/** The subscription was granted (`refusal` undefined) or refused. */
export function subscribeDone(span: Span | undefined, refusal?: unknown): void {
  if (!span) return;
  if (refusal !== undefined) failed(span, refusal);
  span.end();
}

/**
 * One entry handed to one buyer, in the trace of its publish (`traceparent`, from the record's
 * header or the local hand-over). `handedOverAt` (performance.now()): when this instance got the
 * entry from Kafka's acknowledgement; the span starts there. An entry read back from the log (on
 * another instance, or a buyer catching up) has none: its span marks the hand-over only.
 */
export function traceDelivery(d: { traceparent?: string; handedOverAt?: number }, attributes: Attributes): void {
  if (!d.traceparent || !tracingOn()) return;
  const parent = contextOfTraceparent(d.traceparent);
  if (!parent) return;
  childSpan('mqtt.deliver', attributes, parent, d.handedOverAt)?.end();
}
