// What every command gets: the global options, the configuration loaded once (lazily, so
// `itrade --help` works with a broken file), a logger, and an output function.
import { loadConfigFile } from '../config/load.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { configPath } from '../lib/paths.ts';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

export class CliContext {
  private cfg?: ItradeConfig;
  private logger?: Logger;

  constructor(
    readonly opts: GlobalOptions,
    readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
    readonly err: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  get configFile(): string {
    return configPath(this.opts.config);
  }

  config(): ItradeConfig {
    this.cfg ??= loadConfigFile(this.configFile);
    return this.cfg;
  }

  /** CLI logs stay quiet unless --verbose: the command's own output is what people read. */
  log(): Logger {
    this.logger ??= createLogger({ level: this.opts.verbose ? 'debug' : 'warn' }, process.stderr as never);
    return this.logger;
  }
}
