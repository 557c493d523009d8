// The public API's requests and replies as JSON schemas (TypeBox): fastify validates every body
// against them before a handler runs and serialises every reply through them. A field's
// description is the phrase a refusal quotes ("txHash: must be <description>", http/validation.ts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_REPLIES } from '../interfaces/http.ts';

/** The replies of a route: its 200 body, and the error body for every 4xx and 5xx. */
export function replies(ok: TSchema): Record<string, TSchema> {
  return { 200: ok, ...ERROR_REPLIES };
}

const object = { additionalProperties: false, description: 'a JSON object' };

const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'a 0x-prefixed 20-byte hex address' });
const LowerAddress = Type.String({ pattern: '^0x[0-9a-f]{40}$' });
const UnixSeconds = Type.Integer({ minimum: 0, description: 'a unix time in seconds' });

export const ChallengeBody = Type.Object({ address: Address }, object);
export const ChallengeReply = Type.Object({
  address: LowerAddress,
  nonce: Type.String(),
  message: Type.String(),
  expiresAt: Type.String({ description: 'ISO 8601' }),
});

export const LoginBody = Type.Object(
  {
    nonce: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the nonce the challenge returned' }),
    signature: Type.String({ pattern: '^0x[0-9a-fA-F]{130}$', description: 'a 65-byte 0x-hex signature' }),
  },
  object,
);
export const LoginReply = Type.Object({
  token: Type.String(),
  principal: LowerAddress,
  account: LowerAddress,
  expiresAt: UnixSeconds,
});

export const ActivateBody = Type.Object(
  {
    txHash: Type.String({
      pattern: '^0x[0-9a-fA-F]{64}$',
      description: 'a 0x-prefixed 32-byte transaction hash',
    }),
  },
  object,
);
export const ActivateReply = Type.Object({
  token: Type.String(),
  sensor: LowerAddress,
  principal: LowerAddress,
  expiresAt: UnixSeconds,
});

export const RevokeBody = Type.Object(
  {
    jti: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'a token id' })),
    exp: Type.Optional(UnixSeconds),
    subject: Type.Optional(
      Type.String({
        pattern: '^(0x[0-9a-f]{40}|operator:[A-Za-z0-9_.-]{1,64})$',
        description: 'a lower-case address or operator:<name>',
      }),
    ),
  },
  {
    ...object,
    allOf: [
      {
        oneOf: [{ required: ['jti'] }, { required: ['subject'] }],
        description: 'give either jti (one token, exp optional) or subject (every token of one subject)',
      },
    ],
  },
);
export const RevokeReply = Type.Object({
  revoked: Type.Object({
    jti: Type.Optional(Type.String()),
    subject: Type.Optional(Type.String()),
    issuedUpTo: Type.Optional(UnixSeconds),
  }),
});

export const HealthReply = Type.Object({ ok: Type.Boolean() });
export const InfoReply = Type.Object({
  name: Type.String(),
  version: Type.String(),
  region: Type.String(),
  geoip: Type.Object({
    source: Type.String({ description: 'the npm package of the country database' }),
    version: Type.String(),
    date: Type.String({ description: 'the date of its data, YYYY-MM-DD' }),
    inUse: Type.Boolean({ description: 'true when sovereignty.countries lists a country' }),
  }),
});

export type ChallengeBody = Static<typeof ChallengeBody>;
export type LoginBody = Static<typeof LoginBody>;
export type ActivateBody = Static<typeof ActivateBody>;
export type RevokeBody = Static<typeof RevokeBody>;
