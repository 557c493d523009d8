// The mutations: sign-in (challenge, login), sign-out, sensor activation. They share their logic
// with the REST routes (http/api.ts), so both answer alike.
import type { IResolvers } from 'mercurius';
import { activate, signIn } from '../../http/api.ts';
import { sensorTopic } from '../../protocol/topics.ts';
import { itradeError } from '../../protocol/errors.ts';
import type { Ctx } from '../context.ts';

const NONCE = /^[0-9a-f]{32}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

function check(re: RegExp, value: string, what: string): void {
  if (!re.test(value)) throw itradeError('GRAPHQL_BAD_ARGUMENT', `${what}`);
}

export const authResolvers: IResolvers = {
  Mutation: {
    challenge: (_: unknown, { address }: { address: string }, ctx: Ctx) => ctx.deps.api.challenges.create(address),
    login: async (_: unknown, a: { nonce: string; signature: string }, ctx: Ctx) => {
      check(NONCE, a.nonce, 'nonce: must be the 32 hex digits the challenge gave');
      check(SIGNATURE, a.signature, 'signature: must be a 65-byte 0x-hex signature');
      const s = await signIn(ctx.deps.api, a.nonce, a.signature);
      return { ...s, expiresAt: s.expiresAt * 1000 };
    },
    logout: async (_: unknown, __: unknown, ctx: Ctx) => {
      const id = await ctx.principal();
      await ctx.deps.api.revocations.revokeJti(id.jti, id.exp);
      return true;
    },
    activateSensor: async (_: unknown, { txHash }: { txHash: string }, ctx: Ctx) => {
      const caller = await ctx.principal();
      check(TX_HASH, txHash, 'txHash: must be a 0x-prefixed 32-byte transaction hash');
      const a = await activate(ctx.deps.api, caller, txHash);
      return { ...a, expiresAt: a.expiresAt * 1000, topic: sensorTopic(a.sensor) };
    },
  },
};
