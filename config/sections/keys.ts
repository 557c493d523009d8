// The gateway's key exchange (docs/key-exchange.md): how long it waits for a seller's key agent,
// how long it keeps wrapped keys in Redis, and how many questions one buyer may have open.
import { Type } from '@sinclair/typebox';
import { errorCode } from '../../protocol/errors.ts';

export const KeyExchangeSection = Type.Object(
  {
    agentTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description:
        "How long the gateway waits for a seller's key agent before the buyer gets " +
        `${errorCode('CRYPTO_KEY_AGENT_UNAVAILABLE')}.`,
    }),
    cacheTtlSec: Type.Integer({
      minimum: 60,
      default: 604800,
      description:
        'How long a wrapped key stays in the Redis cache (it is only usable by the buyer it was wrapped for).',
    }),
    maxPendingPerBuyer: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 8,
      description:
        'Key requests of one buyer that may wait for agents at once; more get ' + `${errorCode('CRYPTO_KEY_BUSY')}.`,
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: "Key exchange between buyers and sellers' key agents (wrapped AES keys only).",
  },
);
