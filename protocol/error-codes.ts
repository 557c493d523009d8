// Registry of every error code. Add new codes to the part of protocol/error-codes/ their component
// belongs to, and to docs/errors.md (a test checks both). Names group by component: CONFIG_*,
// STACK_*, AUTH_*, CHAIN_*, KAFKA_*, ...
// The registry (this file and its parts) is the one place that spells a code out; everywhere else
// a code is named by its registry name (errorCode('BRIDGE_CLOSED'), isItradeError(err,
// 'BRIDGE_CLOSED')), so a typo is a type error, not a silent mismatch
// (test/protocol/error-literals.test.ts keeps it so).
import type { ErrorSpec } from './errors.ts';
import { API_ERRORS } from './error-codes/api.ts';
import { CONNECT_ERRORS } from './error-codes/connect.ts';
import { CRYPTO_ERRORS } from './error-codes/crypto.ts';
import { RUNTIME_ERRORS } from './error-codes/runtime.ts';
import { SETUP_ERRORS } from './error-codes/setup.ts';

export type ErrorCode = `ITRADE_ERR_${string}`;

/** What every code starts with. */
export const ERROR_CODE_PREFIX = 'ITRADE_ERR_';

/** Shaped like a code (registered or not, say from a newer peer): what a wire format can check. */
export function looksLikeErrorCode(s: string): s is ErrorCode {
  return /^ITRADE_ERR_[A-Z0-9_]{1,60}$/.test(s);
}

type Parts = [
  typeof SETUP_ERRORS,
  typeof CRYPTO_ERRORS,
  typeof CONNECT_ERRORS,
  typeof API_ERRORS,
  typeof RUNTIME_ERRORS,
];

/** Names that two parts both define: a spread would let the later one win silently. */
type NamesInTwoParts<T extends readonly unknown[], Seen = never> = T extends readonly [infer H, ...infer R]
  ? (keyof H & Seen) | NamesInTwoParts<R, Seen | keyof H>
  : never;

/** A type error names any registry name two parts define (one literal object used to catch that). */
const NO_NAME_IN_TWO_PARTS: [NamesInTwoParts<Parts>] extends [never] ? true : NamesInTwoParts<Parts> = true;

export const ERROR_SPECS = {
  ...SETUP_ERRORS,
  ...CRYPTO_ERRORS,
  ...CONNECT_ERRORS,
  ...API_ERRORS,
  ...RUNTIME_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_SPECS;
