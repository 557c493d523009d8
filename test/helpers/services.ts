// Endpoints of the real services the integration tests use. `npm test` starts them on free
// ports and passes them in these variables; set them yourself to test against existing ones.
import { randomBytes } from 'node:crypto';

export interface TestServices {
  redisUrl: string;
  kafkaBrokers: string[];
  rpcUrl: string;
}

export function services(): TestServices {
  const { ITRADE_REDIS_URL, ITRADE_KAFKA_BROKERS, ITRADE_RPC_URL } = process.env;
  if (!ITRADE_REDIS_URL || !ITRADE_KAFKA_BROKERS || !ITRADE_RPC_URL) {
    throw new Error(
      'integration tests need ITRADE_REDIS_URL, ITRADE_KAFKA_BROKERS and ITRADE_RPC_URL: run them with `npm test`',
    );
  }
  return { redisUrl: ITRADE_REDIS_URL, kafkaBrokers: ITRADE_KAFKA_BROKERS.split(','), rpcUrl: ITRADE_RPC_URL };
}

/** A name no other test (or earlier run) uses: Kafka topics, Redis prefixes, client ids. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
