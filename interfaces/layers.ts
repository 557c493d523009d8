// The interfaces the layers talk through. The broker calls Entitlements (the chain, cached) and
// Meter (Redis counters); it hands accepted publishes to a PublishListener (the bridge) and
// offers BuyerChannel to whoever sends to buyers (replay, key exchange). Nothing here imports
// Aedes, kafkajs or ethers.
import type { Context as TraceContext } from '@opentelemetry/api';

export type SensorStatus = 'inactive' | 'active' | 'blocked';

export interface SensorInfo {
  sensor: string; // lower-case address
  principal: string; // the seller's DataStreamPrincipal
  owner: string; // the seller's account
  status: SensorStatus;
  sensorType: number;
  pricePerDataEntry: bigint;
}

export interface SubscriptionGrant {
  subscription: string; // DataStreamSubscription address
  buyer: string; // buyer principal
  sensor: string;
  startTimestamp: number; // unix seconds
  dataEntries: number; // entries paid for
}

export type EntitlementEvent =
  | { kind: 'subscribed'; grant: SubscriptionGrant }
  | { kind: 'sensor-status'; sensor: string; status: SensorStatus }
  | { kind: 'principal-registered'; principal: string; owner: string }
  | { kind: 'principal-key-updated'; principal: string }
  // A reorg removed what an event granted (chain.confirmations too few for it):
  | { kind: 'subscription-retracted'; buyer: string; sensor: string; remaining: number }
  | { kind: 'sensor-retracted'; sensor: string }
  | { kind: 'principal-retracted'; principal: string; owner: string };

/** What the chain says, behind a cache. Every answer is about marketplace-created entities only. */
export interface Entitlements {
  principalOfAccount(account: string): Promise<string | undefined>;
  sensor(sensor: string): Promise<SensorInfo | undefined>;
  /**
   * The buyer's subscriptions to this sensor that are valid on chain now. `trace`: the context of
   * the traced flow asking, so that a chain read joins it (tracing/scope.ts: none is implicit).
   */
  validSubscriptions(buyer: string, sensor: string, trace?: TraceContext): Promise<SubscriptionGrant[]>;
  /** Chain events once confirmed, and reorgs' retractions; returns an unsubscribe function. */
  onEvent(listener: (e: EntitlementEvent) => void): () => void;
}

/** Per-buyer, per-sensor counting of delivered entries, atomic across broker instances. */
export interface Meter {
  /**
   * Takes up to `n` entries from what the buyer paid for; returns how many were granted (0: used up).
   * `grants`: the buyer's valid subscriptions to the sensor as the caller just read them
   * (Entitlements.validSubscriptions); the paid limit is their sum, without asking again.
   */
  take(buyer: string, sensor: string, n: number, grants?: readonly SubscriptionGrant[]): Promise<number>;
  remaining(buyer: string, sensor: string): Promise<number>;
}

export interface AcceptedPublish {
  sensor: string;
  payload: Buffer; // exactly the bytes the device sent
  qos: 0 | 1 | 2;
  receivedAt: number; // ms since epoch, gateway clock
  clientId: string;
  /**
   * The client marked this QoS 1 or 2 publish as a resend of one it sent before (the PUBLISH DUP
   * flag, [MQTT-3.3.1-1]): the bridge then also looks for it in the sensor's log (bridge/log-resends.ts).
   */
  dup?: boolean;
  /** W3C traceparent of the publish's span, when it is traced: stored with the record (tracing/hooks.ts). */
  traceparent?: string;
}

/** The bridge's side of the broker: resolves once the payload is durable, rejects if it was not taken. */
export interface PublishListener {
  onPublish(p: AcceptedPublish): Promise<void>;
  onSensorActivated(sensor: string): Promise<void>;
}

/** One entry of a sensor's log, as delivery reads it. */
export interface LogEntry {
  offset: number;
  /** Exactly the bytes the device sent. */
  payload: Buffer;
  /** W3C traceparent of the publish, when it was traced (a delivery continues its trace). */
  traceparent?: string;
  /** performance.now() when this instance handed a traced entry over from Kafka's acknowledgement. */
  handedOverAt?: number;
}

/**
 * Reading sensors' logs for delivery from a cursor (the bridge's LogTail): one tailing read per
 * sensor with local buyers, shared by all of them; a buyer behind the tail reads its own window.
 */
export interface SensorLog {
  /**
   * Up to `max` entries at or after `from`, in offset order. Waits while there are none yet; an
   * aborted `signal` ends the wait with [].
   */
  read(sensor: string, from: number, max: number, signal: AbortSignal): Promise<LogEntry[]>;
  /** The offset of the first entry received at or after `timestampMs`, or the log end when none. */
  offsetAt(sensor: string, timestampMs: number): Promise<number>;
  /** The offset the sensor's next entry will get. */
  end(sensor: string): Promise<number>;
}

/** Sending to one buyer over MQTT, wherever (which broker instance) it is connected. */
export interface BuyerChannel {
  send(buyer: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}

/** Receives what a buyer publishes under buyers/<principal>/... (replay requests, acks, key requests). */
export interface BuyerRequestHandler {
  onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void>;
}

// --- key exchange (docs/key-exchange.md) ---

/** Sending to one seller's key agent over MQTT, wherever (which broker instance) it is connected. */
export interface SellerChannel {
  send(seller: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}

/**
 * Receives what a seller's key agent publishes under sellers/<principal>/keys/replies. The broker
 * must deliver each reply to every gateway instance (through its cluster emitter, not only the
 * instance the agent is connected to): the instance waiting for the answer may be another one.
 */
export interface SellerMessageHandler {
  onSellerMessage(seller: string, topic: string, payload: Buffer): Promise<void>;
}

/** Whether a seller's key agent is connected (to any gateway instance), for people to see. */
export interface KeyAgentPresence {
  online(seller: string): Promise<boolean>;
}

/** Principals' registered data, as the chain says (the chain adapter implements it, cached). */
export interface PrincipalDirectory {
  /** The principal's rsaPublicKey as registered on chain (PEM), or undefined when none is set. */
  rsaPublicKey(principal: string): Promise<string | undefined>;
}
