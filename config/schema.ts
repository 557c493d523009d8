// The one configuration schema. Each component owns a section file under config/sections/;
// this file only composes them. Every field carries a description and a default (a test walks
// the schema to prove it), unknown keys are rejected everywhere.
import { Type, type Static } from '@sinclair/typebox';
import { ChainSection, KafkaSection, LogSection, RedisSection } from './sections/services.ts';
import { KeyExchangeSection } from './sections/keys.ts';
import { StackSection } from './sections/stack.ts';
import { BrokerSection } from './sections/broker.ts';
import { BridgeSection } from './sections/bridge.ts';
import { SovereigntySection } from './sections/sovereignty.ts';
import { OperatorSection } from './sections/operator.ts';
import { CatalogueSection, GraphqlSection } from './sections/graphql.ts';
import { TracingSection } from './sections/tracing.ts';
import { WebSection } from './sections/web.ts';

export const ConfigSchema = Type.Object(
  {
    log: LogSection,
    redis: RedisSection,
    kafka: KafkaSection,
    chain: ChainSection,
    stack: StackSection,
    keyExchange: KeyExchangeSection,
    broker: BrokerSection,
    bridge: BridgeSection,
    sovereignty: SovereigntySection,
    operator: OperatorSection,
    graphql: GraphqlSection,
    catalogue: CatalogueSection,
    tracing: TracingSection,
    web: WebSection,
  },
  { additionalProperties: false, description: 'ITrade gateway configuration.' },
);

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type ConfigInput = Static<typeof ConfigSchema>;
/** The validated, defaulted and deep-frozen configuration every component receives. */
export type ItradeConfig = DeepReadonly<ConfigInput>;
