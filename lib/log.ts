// Structured logging with pino. House rule: one child logger per component, context object
// first and a constant message second (`log.info({ sensor }, 'sensor activated')`), and never a
// payload, key or token in a log line. The redact list is a safety net for that rule, not a
// licence to pass secrets in.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { logTraceFields } from '../tracing/tracing.ts';

export type { Logger };

export interface LogOptions {
  level: LevelWithSilent;
  /** Extra fields on every line (for example the gateway instance id). */
  base?: Record<string, unknown>;
}

const REDACT = [
  'password',
  'token',
  'jwt',
  'secret',
  'payload',
  'key',
  'privateKey',
  '*.password',
  '*.token',
  '*.jwt',
  '*.secret',
  '*.payload',
  '*.privateKey',
  'req.headers.authorization',
];

export function createLogger(opts: LogOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid, ...opts.base },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // traceId and spanId on lines written inside a traced flow (nothing while tracing is off).
      mixin: logTraceFields,
    },
    destination,
  );
}

/** The child logger of one component (`broker`, `bridge`, `stack.kafka`, ...). */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
