// What a query may ask before it runs (docs/graphql.md, "Limits"): the depth (depthRule, which
// leaves introspection out: mercurius' own queryDepth counts it, and GraphQL tools' standard
// introspection query nests 15 deep); the cost is graphql-query-complexity's validation rule with one estimator: a
// field costs 1 plus its children, times `first` when it has one (a connection), times
// graphql.listCost when it is another list (a connection's own edges and nodes lists are already
// counted by its `first`). Arguments out of range are refused by the resolvers (pageSize, box, circle).
import {
  GraphQLError,
  Kind,
  getNullableType,
  isListType,
  type ASTNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity';
import type { SensorQuery } from '../interfaces/catalogue.ts';
import { errorCode, itradeError } from '../protocol/errors.ts';

export interface Limits {
  maxDepth: number;
  maxCost: number;
  listCost: number;
  maxPageSize: number;
}

export function costEstimator(listCost: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    // Introspection is bounded by the schema itself, not by what a client asks for.
    if (type.name.startsWith('__') || field.name.startsWith('__')) return 1 + childComplexity;
    if (typeof args.first === 'number') return 1 + childComplexity * Math.max(1, args.first);
    if (isListType(getNullableType(field.type)) && !type.name.endsWith('Connection'))
      return 1 + childComplexity * listCost;
    return 1 + childComplexity;
  };
}

export function costRule(limits: Limits, variables: Record<string, unknown> | undefined): ValidationRule {
  return createComplexityRule({
    maximumComplexity: limits.maxCost,
    variables: variables ?? {},
    estimators: [costEstimator(limits.listCost)],
    createError: (max, actual) =>
      new GraphQLError(
        `this query costs ${actual}; at most ${max} is allowed (ask for smaller pages or fewer fields)`,
        {
          extensions: { code: errorCode('GRAPHQL_TOO_COSTLY') },
        },
      ),
  });
}

/** Deepest field nesting of a selection set; introspection fields (__schema, __type) count 0. */
function depthOf(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>) {
  let max = 0;
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      max = Math.max(max, 1 + depthOf(sel.selectionSet, fragments, seen));
    } else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    else if (!seen.has(sel.name.value)) {
      // A fragment cycle is refused by GraphQL's own rules; `seen` only stops this walk from looping.
      const f = fragments.get(sel.name.value);
      max = Math.max(max, depthOf(f?.selectionSet, fragments, new Set([...seen, sel.name.value])));
    }
  }
  return max;
}

export function depthRule(maxDepth: number): ValidationRule {
  return (ctx: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of ctx.getDocument().definitions)
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    return {
      OperationDefinition(op) {
        const depth = depthOf(op.selectionSet, fragments, new Set());
        if (depth > maxDepth)
          ctx.reportError(
            new GraphQLError(`this query nests ${depth} deep; at most ${maxDepth} is allowed`, {
              nodes: [op as ASTNode],
              extensions: { code: errorCode('GRAPHQL_TOO_DEEP') },
            }),
          );
      },
    };
  };
}

const bad = (detail: string) => itradeError('GRAPHQL_BAD_ARGUMENT', detail);

export function pageSize(first: number | undefined, limits: Limits): number {
  const n = first ?? 20;
  if (n < 0 || n > limits.maxPageSize) throw bad(`first: must be 0..${limits.maxPageSize} (got ${n})`);
  return n;
}

/** The registration index a cursor stands for; `kind` keeps a principal's cursor out of a sensors page. */
export function decodeCursor(cursor: string | null | undefined, kind: 's' | 'p'): number | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const m = /^([sp]):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || m[1] !== kind) throw bad('after: not a cursor of this list (use a pageInfo.endCursor it gave)');
  return Number(m[2]);
}

export function encodeCursor(kind: 's' | 'p', index: number): string {
  return Buffer.from(`${kind}:${index}`, 'utf8').toString('base64url');
}

const inRange = (v: number, lo: number, hi: number) => Number.isFinite(v) && v >= lo && v <= hi;
const GEO_LAT = 85.05112878;

export function checkWithin(w: NonNullable<SensorQuery['within']>): void {
  if (!inRange(w.south, -90, 90) || !inRange(w.north, -90, 90))
    throw bad('filter.within: south and north must be -90..90');
  if (!inRange(w.west, -180, 180) || !inRange(w.east, -180, 180))
    throw bad('filter.within: west and east must be -180..180');
  if (w.south > w.north) throw bad('filter.within: south must not be above north');
}

export function checkNear(n: NonNullable<SensorQuery['near']>): void {
  if (!inRange(n.latitude, -GEO_LAT, GEO_LAT)) throw bad(`filter.near.latitude: must be -${GEO_LAT}..${GEO_LAT}`);
  if (!inRange(n.longitude, -180, 180)) throw bad('filter.near.longitude: must be -180..180');
  if (!inRange(n.radiusMeters, Number.MIN_VALUE, 20_000_000))
    throw bad('filter.near.radiusMeters: must be above 0 and at most 20000000');
}
