// The schema's scalars (graphql/schema.graphql): Address (lower-case out, any case in), Wei (a
// decimal string: a uint256 does not fit a JSON number), DateTime (ISO 8601, UTC) and Count (a
// safe integer, as entry counts outgrow GraphQL's 32-bit Int). A malformed argument fails GraphQL's
// own coercion, which the error map answers with ITRADE_ERR_GRAPHQL_BAD_REQUEST.
import { GraphQLError, GraphQLScalarType, Kind, buildSchema, type ValueNode } from 'graphql';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const WEI = /^(0|[1-9][0-9]{0,77})$/;
const UINT256_MAX = 2n ** 256n - 1n;

function literal(v: ValueNode): unknown {
  if (v.kind === Kind.STRING || v.kind === Kind.INT || v.kind === Kind.FLOAT) return v.value;
  throw new GraphQLError(`expected a string, got ${v.kind}`);
}

function address(v: unknown): string {
  if (typeof v !== 'string' || !ADDRESS.test(v)) throw new GraphQLError('must be 0x followed by 40 hex digits');
  return v.toLowerCase();
}

function wei(v: unknown): bigint {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !WEI.test(s))
    throw new GraphQLError('must be a whole number of wei as a decimal string');
  const n = BigInt(s);
  if (n > UINT256_MAX) throw new GraphQLError('must fit in a uint256');
  return n;
}

export const Address = new GraphQLScalarType({
  name: 'Address',
  serialize: (v) => String(v).toLowerCase(),
  parseValue: address,
  parseLiteral: (v) => address(literal(v)),
});

export const Wei = new GraphQLScalarType({
  name: 'Wei',
  serialize: (v) => (typeof v === 'bigint' ? v.toString() : String(v)),
  parseValue: wei,
  parseLiteral: (v) => wei(literal(v)),
});

function dateTime(v: unknown): Date {
  const d = typeof v === 'string' ? new Date(v) : typeof v === 'number' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new GraphQLError('must be an ISO 8601 date and time');
  return d;
}

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  // Resolvers give ms since the epoch or a Date.
  serialize: (v) => (v instanceof Date ? v : new Date(typeof v === 'string' ? v : Number(v))).toISOString(),
  parseValue: dateTime,
  parseLiteral: (v) => dateTime(literal(v)),
});

function count(v: unknown): number {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new GraphQLError('must be a non-negative integer up to 2^53 - 1');
  return n;
}

export const Count = new GraphQLScalarType({
  name: 'Count',
  serialize: (v) => count(typeof v === 'bigint' ? Number(v) : v),
  parseValue: count,
  parseLiteral: (v) => count(literal(v)),
});

/**
 * The scalars with the descriptions the SDL gives them: mercurius puts these objects in place of
 * the SDL's declarations, and introspection must still say what the committed schema says.
 */
export function describedScalars(sdl: string): Record<string, GraphQLScalarType> {
  const declared = buildSchema(sdl);
  const out: Record<string, GraphQLScalarType> = {};
  for (const s of [Address, Wei, DateTime, Count] as GraphQLScalarType[])
    out[s.name] = new GraphQLScalarType({ ...s.toConfig(), description: declared.getType(s.name)?.description });
  return out;
}
