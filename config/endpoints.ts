// Where the gateway finds Redis, Kafka and the Ethereum node: named in the configuration, or
// passed in by whoever starts it. An empty value in the file means "the local stack" only to the
// callers that ask the local stack for it (`itrade gateway`, `npm start`, the bench, the tests);
// a gateway started with an empty one and nothing passed refuses to start, naming the key.
import type { ItradeConfig } from './schema.ts';
import { itradeError } from '../protocol/errors.ts';

export interface Endpoints {
  redisUrl: string;
  kafkaBrokers: string[];
  rpcUrl: string;
}

export function configuredEndpoints(
  cfg: Pick<ItradeConfig, 'redis' | 'kafka' | 'chain'>,
  given?: Endpoints,
): Endpoints {
  if (given) return given;
  const empty = [
    cfg.redis.url === '' ? 'redis.url (ITRADE_REDIS_URL)' : undefined,
    cfg.kafka.brokers.length === 0 ? 'kafka.brokers (ITRADE_KAFKA_BROKERS)' : undefined,
    cfg.chain.rpcUrl === '' ? 'chain.rpcUrl (ITRADE_RPC_URL)' : undefined,
  ].filter((k) => k !== undefined);
  if (empty.length > 0)
    throw itradeError(
      'CONFIG_INVALID',
      `${empty.join(', ')}: empty, and no endpoint was passed to the gateway: ` +
        'set it, or start the gateway with `itrade gateway`, which uses the local stack',
    );
  return { redisUrl: cfg.redis.url, kafkaBrokers: [...cfg.kafka.brokers], rpcUrl: cfg.chain.rpcUrl };
}
