// The one error module (fastify's @fastify/error pattern): every failure the gateway reports
// has a stable `ITRADE_ERR_*` code, an optional `cause`, and for authentication failures the
// MQTT 3.1.1 CONNACK return code. docs/errors.md lists every code; test/protocol/errors.test.ts
// keeps the two in step.
import { ERROR_SPECS, type ErrorCode, type ErrorName } from './error-codes.ts';

export interface ErrorSpec {
  /** Stable, documented code: never renamed once released. */
  readonly code: ErrorCode;
  /** Default message when the thrower gives no detail. */
  readonly message: string;
  /** CONNACK return code [MQTT-3.2.2.3] for errors that refuse a connection. */
  readonly mqttReturnCode?: number;
  /** HTTP status for errors that end an API request. */
  readonly httpStatus?: number;
}

export interface ItradeErrorOptions {
  cause?: unknown;
}

export class ItradeError extends Error {
  readonly code: ErrorSpec['code'];
  readonly mqttReturnCode: number | undefined;
  readonly httpStatus: number;

  constructor(spec: ErrorSpec, detail?: string, options: ItradeErrorOptions = {}) {
    super(detail ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ItradeError';
    this.code = spec.code;
    this.mqttReturnCode = spec.mqttReturnCode;
    this.httpStatus = spec.httpStatus ?? 500;
  }
}

/** Creates the typed error for one registered name: `throw itradeError('CONFIG_INVALID', 'kafka.brokers[0]: ...')`. */
export function itradeError(name: ErrorName, detail?: string, options?: ItradeErrorOptions): ItradeError {
  return new ItradeError(ERROR_SPECS[name], detail, options);
}

/** True when `err` is an ItradeError with the given registered name. */
export function isItradeError(err: unknown, name?: ErrorName): err is ItradeError {
  if (!(err instanceof ItradeError)) return false;
  return name === undefined || err.code === ERROR_SPECS[name].code;
}

/**
 * The typed error for a code another party sent (the gateway's HTTP error, a key answer, a replay
 * refusal): the registered one when the code is known, else `fallback` naming the foreign code.
 */
export function errorFromCode(code: unknown, message: string, fallback: ErrorName): ItradeError {
  const spec = Object.values(ERROR_SPECS).find((s) => s.code === code);
  return spec ? new ItradeError(spec, message) : itradeError(fallback, `${String(code ?? '')} ${message}`.trim());
}

/** The code of a registered name, for a log field or a wire message: `errorCode('GATEWAY_FORCED_EXIT')`. */
export function errorCode(name: ErrorName): ErrorCode {
  return ERROR_SPECS[name].code;
}

const NAME_OF_CODE = new Map<string, ErrorName>(
  (Object.keys(ERROR_SPECS) as ErrorName[]).map((name) => [ERROR_SPECS[name].code, name]),
);

/**
 * The registered name of an ItradeError's code, or of a code string (an agent's answer, say);
 * undefined for anything else.
 */
export function errorName(errOrCode: unknown): ErrorName | undefined {
  const code = errOrCode instanceof ItradeError ? errOrCode.code : errOrCode;
  return typeof code === 'string' ? NAME_OF_CODE.get(code) : undefined;
}

/** Every registered code, for docs and the docs-sync test. */
export function allErrorSpecs(): readonly ErrorSpec[] {
  return Object.values(ERROR_SPECS);
}

/**
 * One line for a human: the message, and the causes' messages after it. Used by every CLI entry
 * point so a user never sees a stack trace unless they ask for one (--verbose).
 */
export function oneLine(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    const msg = (cur instanceof Error ? cur.message : String(cur)).split('\n')[0]!.trim();
    const code = cur instanceof ItradeError ? ` [${cur.code}]` : '';
    // A cause whose text the message already quotes (a YAML parser error, say) adds nothing.
    const head = msg.slice(0, 30);
    if (msg && !parts.some((p) => p.includes(head))) parts.push(msg + code);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(': caused by: ');
}

export type { ErrorCode, ErrorName };
