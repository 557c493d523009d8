// The bridge: the broker's PublishListener (write-through to Kafka) and the BuyerRequestHandler
// for buyers/<b>/replay/..., plus the HTTP history routes. It knows the broker only through
// interfaces/layers.ts and Kafka only through LogStore, so it runs and is tested on its own.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { ItradeConfig } from '../config/schema.ts';
import type {
  AcceptedPublish,
  BuyerChannel,
  BuyerRequestHandler,
  Entitlements,
  Meter,
  PublishListener,
} from '../interfaces/layers.ts';
import { normAddress } from '../protocol/topics.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { componentLogger, type Logger } from '../lib/log.ts';
import { historyRoutes, type VerifyBuyer } from './http.ts';
import { createKafkaClients } from './kafka/client.ts';
import { kafkaSecurity } from '../config/clients.ts';
import { KafkaLogStore } from './kafka/store.ts';
import type { LogStore } from './log-store.ts';
import { createBridgeMetrics, type BridgeMetrics, type BufferState } from './metrics.ts';
import type { HistoryDeps } from './replay/history.ts';
import { ReplayService } from './replay/service.ts';
import { ReplaySlots } from './replay/slots.ts';
import { LogTail } from './tail.ts';
import { WriteThrough } from './writer.ts';

export type BridgeConfig = ItradeConfig['bridge'];

export interface BridgeDeps {
  config: BridgeConfig;
  store: LogStore;
  entitlements: Entitlements;
  meter: Meter;
  channel: BuyerChannel;
  registry: Registry;
  log: Logger;
  /** Times replay ack timeouts (default: the system clock; tests move a fake one). */
  clock?: Clock;
}

export class Bridge implements PublishListener, BuyerRequestHandler {
  readonly metrics: BridgeMetrics;
  private readonly writer: WriteThrough;
  private readonly replays: ReplayService;
  private readonly slots: ReplaySlots;
  private readonly history: HistoryDeps;
  private readonly log: Logger;
  /** Delivery from the log (SensorLog): the broker reads buyers' cursors through it. */
  readonly sensorLog: LogTail;

  constructor(private readonly deps: BridgeDeps) {
    const cfg = deps.config;
    this.log = componentLogger(deps.log, 'bridge');
    this.slots = new ReplaySlots(cfg.replay.maxPerBuyer, cfg.replay.maxTotal);
    this.metrics = createBridgeMetrics(
      deps.registry,
      () => this.writer.state(),
      () => this.slots.counts(),
    );
    const topicOf = (sensor: string) => `${cfg.topicPrefix}${normAddress(sensor)}`;
    this.writer = new WriteThrough(
      deps.store,
      {
        ...cfg.producer,
        topicOf,
        topic: cfg.topic,
        buffer: cfg.buffer,
        resend: { ...cfg.resend, fetchMaxBytes: cfg.replay.fetchMaxBytes },
      },
      this.metrics,
      this.log,
    );
    this.sensorLog = new LogTail(
      deps.store,
      {
        topicOf,
        ensureTopic: (sensor) => this.writer.ensureTopic(sensor),
        ringEntries: cfg.tail.ringEntries,
        fetchMaxBytes: cfg.replay.fetchMaxBytes,
        idleMs: cfg.tail.idleMs,
      },
      componentLogger(this.log, 'bridge.tail'),
    );
    this.history = {
      store: deps.store,
      entitlements: deps.entitlements,
      meter: deps.meter,
      topicOf,
      fetchMaxBytes: cfg.replay.fetchMaxBytes,
    };
    this.replays = new ReplayService({
      ...cfg.replay,
      history: this.history,
      channel: deps.channel,
      slots: this.slots,
      metrics: this.metrics,
      log: this.log,
      clock: deps.clock ?? systemClock,
    });
  }

  /**
   * Resolves once Kafka acknowledged the payload (then the broker sends the PUBACK); rejects with BRIDGE_* when
   * refused. The entry goes to this instance's tail at once, with the offset Kafka gave it.
   */
  async onPublish(p: AcceptedPublish): Promise<void> {
    const offset = await this.writer.submit(p);
    this.sensorLog.handOver(p.sensor, offset, p.payload, p.traceparent);
  }

  /** The buffer between broker and Kafka, and whether Kafka acknowledges writes in time (readiness). */
  bufferState(): BufferState {
    return this.writer.state();
  }

  onSensorActivated(sensor: string): Promise<void> {
    return this.writer.ensureTopic(normAddress(sensor));
  }

  /** Entries stored for the sensor: its topic's log end offset (the catalogue's activity). */
  async logEnd(sensor: string): Promise<number> {
    const topic = this.history.topicOf(sensor);
    return (await this.deps.store.bounds(topic, await this.deps.store.partitionOf(topic, normAddress(sensor)))).end;
  }

  onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void> {
    return this.replays.onBuyerMessage(buyer, topic, payload);
  }

  /** Fastify plugin with GET /v1/sensors/:sensor/history; `verifyBuyer` authenticates the caller. */
  httpRoutes(verifyBuyer: VerifyBuyer): FastifyPluginAsync {
    const { chunkEntries, maxLimit } = this.deps.config.http;
    return historyRoutes({
      history: this.history,
      slots: this.slots,
      metrics: this.metrics,
      log: this.log,
      verifyBuyer,
      chunkEntries,
      maxLimit,
    });
  }

  /** Ends replays, lets Kafka acknowledge what was taken (up to `drainTimeoutMs`), closes the store. */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    await this.replays.close();
    await this.writer.close(drainTimeoutMs);
    await this.sensorLog.close();
    await this.deps.store.close();
  }
}

/** A bridge on Kafka: `brokers` are the resolved bootstrap brokers (config or local stack). */
export function createKafkaBridge(
  cfg: ItradeConfig,
  brokers: readonly string[],
  deps: Omit<BridgeDeps, 'config' | 'store'>,
): Bridge {
  const log = componentLogger(deps.log, 'bridge.kafka');
  const p = cfg.bridge.producer;
  const clients = createKafkaClients(
    {
      brokers,
      clientId: cfg.kafka.clientId,
      retryInitialMs: p.retryInitialMs,
      retryMaxMs: p.retryMaxMs,
      requestTimeoutMs: p.requestTimeoutMs,
      security: kafkaSecurity(cfg.kafka),
    },
    log,
  );
  let bridge: Bridge | undefined;
  const store = new KafkaLogStore(clients, log, {
    requestTimeoutMs: p.requestTimeoutMs,
    onProducerRestart: () => bridge?.metrics.producerRestarts.inc(),
    onProducerMetadata: () => bridge?.metrics.producerMetadata.inc(),
  });
  bridge = new Bridge({ ...deps, config: cfg.bridge, store });
  return bridge;
}
