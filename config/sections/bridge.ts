// The bridge: write-through of accepted payloads to Kafka (one topic per sensor) and replay of
// that history to entitled buyers over MQTT and HTTP. docs/bridge.md explains each setting.
import { Type } from '@sinclair/typebox';
import { errorCode } from '../../protocol/errors.ts';

const Int = (min: number, max: number, def: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description });

const TopicSection = Type.Object(
  {
    partitions: Int(
      1,
      1000,
      1,
      "Partitions of a new sensor topic. A sensor's entries are keyed by its address and all go to one " +
        'partition, so 1 is enough.',
    ),
    replicationFactor: Int(
      1,
      32,
      1,
      'Replication factor of a new sensor topic (1 for the single-node local stack; 3 in production).',
    ),
    minInsyncReplicas: Int(
      1,
      32,
      1,
      'min.insync.replicas of a new sensor topic: replicas that must have a write before acks=all succeeds ' +
        '(2 with replication 3).',
    ),
    retentionMs: Type.Integer({
      minimum: -1,
      default: -1,
      description: 'retention.ms of a new sensor topic; -1 keeps history forever (the marketplace sells it).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'How a sensor topic is created when the sensor is activated.',
  },
);

const ProducerSection = Type.Object(
  {
    lingerMs: Int(
      0,
      100,
      2,
      'How long an idle bridge waits to gather a batch before writing it. While a batch is in flight the next ' +
        'one gathers anyway.',
    ),
    maxBatchEntries: Int(1, 100000, 2000, 'Most entries in one Kafka produce request.'),
    maxBatchBytes: Int(
      1024,
      8388608,
      524288,
      "Most payload bytes in one Kafka produce request (keep below the broker's message.max.bytes, 1 MiB by default).",
    ),
    maxPayloadBytes: Int(
      1,
      1000000,
      262144,
      `Largest payload the bridge writes; a larger publish is refused with ${errorCode('BRIDGE_PAYLOAD_TOO_LARGE')}.`,
    ),
    retryInitialMs: Int(
      10,
      60000,
      100,
      'First wait before a failed Kafka write or connection is retried (doubles up to retryMaxMs).',
    ),
    retryMaxMs: Int(
      10,
      300000,
      2000,
      'Longest wait between retries, so the backlog starts draining soon after Kafka returns.',
    ),
    requestTimeoutMs: Int(
      1000,
      300000,
      30000,
      'Kafka request timeout; a write that gets no answer in this time is retried.',
    ),
    stallWarnMs: Int(100, 600000, 2000, 'A write outstanding this long marks Kafka unavailable (log and metric).'),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Kafka producer: idempotent, acks=all, batched (docs/bridge.md).',
  },
);

const BufferSection = Type.Object(
  {
    maxEntries: Int(
      1,
      10000000,
      100000,
      'Most entries accepted but not yet acknowledged by Kafka; beyond it every publish is refused.',
    ),
    maxBytes: Int(
      1024,
      4294967295,
      67108864,
      'Most payload bytes accepted but not yet acknowledged by Kafka; beyond it every publish is refused.',
    ),
    highWaterPercent: Int(
      1,
      100,
      80,
      'Fill level (percent of either limit) above which QoS 0 publishes are refused, keeping the rest for QoS 1.',
    ),
    resendWindow: Int(
      0,
      10000000,
      20000,
      'Entries Kafka acknowledged that are still recognised when a device sends them again (its PUBACK was ' +
        'lost): the resend gets the stored offset and is not written twice. About 150 bytes each; 0 recognises ' +
        'only resends of entries still buffered.',
    ),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'The bounded in-memory buffer between the broker and Kafka.',
  },
);

const ResendSection = Type.Object(
  {
    logLookbackEntries: Int(
      0,
      1000000,
      1000,
      "Entries back from the end of the sensor's log that a QoS 1 publish marked DUP (a device's resend) is " +
        'compared with when this instance does not recognise it (the original went through another instance, or ' +
        'is older than buffer.resendWindow): found, it gets the stored offset and is not written again. One ' +
        'offsets request and about entries x payload size of reads per such publish; 0: no look-up.',
    ),
    lookupTimeoutMs: Int(
      10,
      60000,
      2000,
      'A look-up of the log not done in this time (Kafka unavailable or slow) is given up and the resend is ' +
        'written (at least once: a duplicate is possible, counted as result failed).',
    ),
  },
  {
    additionalProperties: false,
    default: {},
    description: "Recognising a device's resend in the sensor's log, across instances (docs/bridge.md).",
  },
);

const TailSection = Type.Object(
  {
    ringEntries: Int(
      1,
      1000000,
      1000,
      'Entries kept in memory per sensor that buyers on this instance follow; a buyer whose cursor is within ' +
        'them is served from memory (1,000 is most of a minute at 20 entries/s), one further behind reads ' +
        'its own catch-up window from Kafka.',
    ),
    idleMs: Int(1000, 86400000, 60000, 'A sensor tail nobody on this instance read from for this long is dropped.'),
  },
  {
    additionalProperties: false,
    default: {},
    description: "The per-instance reader of sensors' logs that live delivery is served from (docs/broker.md).",
  },
);

const ReplaySection = Type.Object(
  {
    defaultWindow: Int(1, 10000, 100, 'Entries a replay may have unacknowledged when the request names no window.'),
    maxWindow: Int(1, 10000, 1000, 'Largest window a buyer may ask for.'),
    maxPerBuyer: Int(1, 100, 2, 'Replays (MQTT and HTTP together) one buyer may run at once.'),
    maxTotal: Int(
      1,
      100000,
      200,
      'Replays the gateway runs at once; each holds at most fetchMaxBytes of history in memory.',
    ),
    fetchMaxBytes: Int(1024, 16777216, 262144, 'Most bytes one Kafka read of a replay asks for.'),
    ackTimeoutMs: Int(
      1000,
      3600000,
      60000,
      'A replay whose buyer acknowledges nothing for this long ends (reason ack-timeout).',
    ),
  },
  { additionalProperties: false, default: {}, description: 'Replay of history to buyers (docs/replay.md).' },
);

const HttpSection = Type.Object(
  {
    chunkEntries: Int(1, 10000, 500, 'Entries read, metered and written per step of an HTTP history stream.'),
    maxLimit: Int(1, 100000000, 1000000, 'Largest `limit` one HTTP history request may ask for.'),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'The NDJSON history endpoint GET /v1/sensors/:sensor/history.',
  },
);

export const BridgeSection = Type.Object(
  {
    topicPrefix: Type.String({
      default: '',
      pattern: '^[A-Za-z0-9._-]{0,200}$',
      hint: 'letters, digits, dot, underscore or dash (at most 200)',
      description:
        "Prefix of every sensor topic; the rest is the sensor's contract address (paper IV.B). Lets several " +
        'gateways share one Kafka.',
    }),
    topic: TopicSection,
    producer: ProducerSection,
    buffer: BufferSection,
    resend: ResendSection,
    tail: TailSection,
    replay: ReplaySection,
    http: HttpSection,
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Bridge: durable write-through to Kafka, replay for buyers.',
  },
);
