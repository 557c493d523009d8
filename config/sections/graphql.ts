// The GraphQL API (docs/graphql.md) and the catalogue index it answers from: the limits every
// query is checked against, and how the index records activity (it follows the chain through the
// one event follower, chain.confirmations and chain.maxLogRange).
import { Type } from '@sinclair/typebox';
import { errorCode } from '../../protocol/errors.ts';

export const GraphqlSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve POST/GET /graphql on the HTTP API (broker.http).' }),
    maxDepth: Type.Integer({
      minimum: 2,
      maximum: 50,
      default: 8,
      description: `Deepest nesting of fields a query may have; deeper ones get ${errorCode('GRAPHQL_TOO_DEEP')}.`,
    }),
    maxCost: Type.Integer({
      minimum: 10,
      maximum: 1000000,
      default: 5000,
      description:
        'Highest cost a query may have (every field 1, times the size of each list it is in); ' +
        `costlier ones get ${errorCode('GRAPHQL_TOO_COSTLY')}.`,
    }),
    listCost: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: "The size a list without `first` (a buyer's subscriptions, sensor types) counts as in the cost.",
    }),
    maxPageSize: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: `Largest \`first\` of a page; more gets ${errorCode('GRAPHQL_BAD_ARGUMENT')}.`,
    }),
    introspection: Type.Boolean({
      default: true,
      description: 'Answer introspection queries (the schema is public in graphql/schema.graphql anyway).',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The GraphQL API on the HTTP port (docs/graphql.md).' },
);

export const CatalogueSection = Type.Object(
  {
    activityFlushMs: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 1000,
      description: "How often sensors' activity (entries stored, last publish) is written to Redis.",
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'The catalogue index the GraphQL API answers from (docs/graphql.md, "How the index works").',
  },
);
