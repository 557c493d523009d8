// The scenarios `npm run bench` knows, in the order they run by default.
import type { ConfigSets } from '../config-set.ts';
import type { Logger } from '../../lib/log.ts';
import type { BenchResult } from '../report.ts';
import type { BenchEnv } from '../env.ts';
import type { GatewayFleet } from '../provision.ts';
import { baselines } from './baselines.ts';
import { max, paper } from './paper.ts';
import { connections } from './connections.ts';
import { entitlements } from './entitlements.ts';
import { replay } from './replay.ts';
import { catalogueScenario } from './catalogue.ts';
import { catchup } from './catchup.ts';
import type { Parts } from './parts.ts';
import { scaleout } from './scaleout.ts';
import { tracingScenario } from './tracing.ts';

export interface ScenarioOptions {
  durationMs: number;
  stepMs: number;
  devices: number;
  rate: number;
  connections: number;
  storm: number;
  /** Subscriptions made on chain before the entitlements scenario measures a second time. */
  history: number;
  replayEntries: number;
  /** Entries a persistent buyer misses before it comes back (catchup scenario). */
  catchupEntries: number;
  /** Load before each measured streaming run, discarded (JIT, fresh Kafka segments). */
  warmupMs: number;
  bus: 'redis' | 'memory';
  /** Gateway config values of --set, over every gateway's config. */
  sets: ConfigSets;
}

export interface ScenarioContext {
  log: Logger;
  say(line: string): void;
  result: BenchResult;
  opts: ScenarioOptions;
  /** Run in reverse order when the bench ends, whatever happened. */
  cleanups: (() => Promise<unknown>)[];
  /** Shared between scenarios: the highest sustained rate per target, for the ratio goal. */
  maxRates?: Record<string, number>;
  /** The paper workload's parts (raw Aedes, Kafka alone), measured once per run. */
  parts?: Parts;
  env?: BenchEnv;
  fleet?: GatewayFleet;
}

export type Scenario = (ctx: ScenarioContext) => Promise<void>;

export const SCENARIOS: Record<string, Scenario> = {
  paper,
  scaleout,
  baselines,
  max,
  catchup,
  connections,
  entitlements,
  replay,
  catalogue: catalogueScenario,
  tracing: tracingScenario,
};
