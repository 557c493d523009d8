// Abuse limits of the broker (docs/operations.md, "Abuse limits"), spread into broker.limits next
// to Aedes' own limits so an operator finds every limit in one place. Each refusal is clear to
// the client (CONNACK code, or no PUBACK and a closed connection), logged and counted.
import { Type } from '@sinclair/typebox';
import { errorCode } from '../../protocol/errors.ts';

const Rate = (perSec: number, burst: number, what: string) =>
  Type.Object(
    {
      perSec: Type.Number({
        minimum: 0,
        maximum: 1000000,
        default: perSec,
        description: `Sustained rate: ${what} per second (0: no limit).`,
      }),
      burst: Type.Integer({
        minimum: 1,
        maximum: 10000000,
        default: burst,
        description: `Largest burst of ${what} above the sustained rate (the token bucket's size).`,
      }),
    },
    { additionalProperties: false, default: {}, description: `Token bucket for ${what}.` },
  );

export const AbuseLimitFields = {
  maxPayloadBytes: Type.Integer({
    minimum: 1,
    maximum: 268435455,
    default: 262144,
    description:
      'Largest PUBLISH payload. A larger one is refused (no PUBACK, connection closed, ' +
      `${errorCode('LIMIT_PAYLOAD_TOO_LARGE')}); a packet longer than this plus 4 KiB is cut off as its header ` +
      'arrives, before it is buffered.',
  }),
  connectRate: Rate(20, 100, 'CONNECTs from one client address (IPv6: one /64)'),
  publishRate: Rate(500, 1000, 'publishes of one sensor'),
};
