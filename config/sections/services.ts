// Where the gateway finds Redis, Kafka and the Ethereum node. An empty value means "the
// project's own local stack" (see the `stack` section), so a fresh clone runs with no edits.
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../types.ts';

export const LogSection = Type.Object(
  {
    level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      default: 'info',
      description: 'Minimum pino log level.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Structured logging (pino, JSON lines on stdout).' },
);

export const RedisSection = Type.Object(
  {
    url: Type.String({
      default: '',
      pattern: '^(|rediss?://.+)$',
      hint: 'a redis:// or rediss:// URL, or empty for the local stack',
      description: 'Redis URL (redis:// or rediss://). Empty: the local stack Redis on stack.redis.port.',
    }),
    keyPrefix: Type.String({
      default: 'itrade:',
      minLength: 1,
      description: 'Prefix of every Redis key the gateway writes, so one Redis can serve several gateways.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Redis: sessions, entitlement cache, metering counters.' },
);

export const HostPort = Type.String({
  pattern: '^[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}$',
  hint: 'host:port',
  description: 'host:port',
});

export const KafkaSection = Type.Object(
  {
    brokers: Type.Array(HostPort, {
      default: [],
      description: 'Kafka bootstrap brokers as host:port (the broker listener, not the KRaft controller). Empty: the local stack Kafka.',
    }),
    clientId: Type.String({ default: 'itrade-gateway', minLength: 1, description: 'Kafka client id of the gateway.' }),
  },
  { additionalProperties: false, default: {}, description: 'Apache Kafka: durable history, one topic per sensor.' },
);

export const ChainSection = Type.Object(
  {
    rpcUrl: Type.String({
      default: '',
      pattern: '^(|(https?|wss?)://.+)$',
      hint: 'an http(s):// or ws(s):// URL, or empty for the local stack',
      description: 'Ethereum JSON-RPC URL (http(s):// or ws(s)://). Empty: the local stack anvil node.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The Ethereum chain holding the marketplace contracts.' },
);
