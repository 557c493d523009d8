// What the stack manager needs from each locally run service.
import type { ItradeConfig } from '../../config/schema.ts';
import type { Logger } from '../../lib/log.ts';

export type ServiceName = 'redis' | 'kafka' | 'chain';

export interface ServiceContext {
  cfg: ItradeConfig;
  /** This service's folder inside the stack dir: data, config, log, pid record. */
  dir: string;
  log: Logger;
}

export interface LaunchSpec {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface LocalService {
  readonly name: ServiceName;
  /** A string the running process's command line always contains. */
  readonly marker: (ctx: ServiceContext) => string;
  /** Port names and the configured value of each (0: pick a free one). */
  readonly wantedPorts: (cfg: ItradeConfig) => Record<string, number>;
  /** How long a clean shutdown may take before SIGKILL. */
  readonly graceMs: number;
  /** Makes the program available (apt, Maven, node_modules); idempotent. */
  install(ctx: ServiceContext): Promise<void>;
  /** Writes config files and initialises data (first start only); returns how to launch. */
  prepare(ctx: ServiceContext, ports: Record<string, number>): Promise<LaunchSpec>;
  endpoint(ports: Record<string, number>): string;
}
