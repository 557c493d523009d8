// Loads the operator's YAML once at start-up: parse, interpolate ${ENV}, type env values by the
// schema, fill defaults, validate, deep-freeze. Any problem is one ItradeError whose message
// names the file and the path of the bad value (`config/itrade.yaml: kafka.brokers[0]: ...`).
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseDocument } from 'yaml';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { interpolateEnv } from './env.ts';
import { formatPath, pointerToParts, type PathPart } from './path.ts';
import { ConfigSchema, type ItradeConfig } from './schema.ts';
import { coerceFromEnv } from './coerce.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ useDefaults: true, allErrors: true, strict: true, verbose: true }));
ajv.addKeyword({ keyword: 'hint', schemaType: 'string' });
const validate = ajv.compile(ConfigSchema);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): ItradeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw itradeError('CONFIG_FILE', `${file}: cannot read configuration file`, { cause: err });
  }
  return parseConfig(text, file, opts);
}

export function parseConfig(text: string, source: string, opts: LoadOptions = {}): ItradeConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw itradeError('CONFIG_YAML', `${source}: ${where}${what}`, { cause: e });
  }
  const raw: unknown = doc.toJS() ?? {};
  return validateConfig(raw, source, opts);
}

export function validateConfig(raw: unknown, source: string, opts: LoadOptions = {}): ItradeConfig {
  let data: unknown;
  try {
    const { value, fromEnv } = interpolateEnv(raw, opts.env ?? process.env);
    data = coerceFromEnv(ConfigSchema, value, fromEnv);
  } catch (err) {
    if (isItradeError(err)) err.message = `${source}: ${err.message}`;
    throw err;
  }
  if (!validate(data)) {
    throw itradeError('CONFIG_INVALID', `${source}: ${describe(pickError(validate.errors ?? []), data)}`);
  }
  return deepFreeze(data) as ItradeConfig;
}

// An unknown key is the likeliest typo, so it wins over other errors it may have caused.
function pickError(errors: ErrorObject[]): ErrorObject {
  return (
    errors.find((e) => e.keyword === 'additionalProperties') ?? errors.find((e) => e.keyword !== 'anyOf') ?? errors[0]!
  );
}

function describe(e: ErrorObject, root: unknown): string {
  const parts: PathPart[] = pointerToParts(e.instancePath, root);
  const got = e.data === undefined ? '' : ` (got ${JSON.stringify(e.data)})`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).join(', ');
      return `${formatPath([...parts, e.params.additionalProperty as string])}: unknown key (allowed here: ${allowed})`;
    }
    case 'pattern':
    case 'format': {
      const hint = (e.parentSchema as { hint?: string; description?: string }).hint;
      return `${formatPath(parts)}: must be ${hint ?? e.message?.replace(/^must /, '')}${got}`;
    }
    case 'enum':
      return `${formatPath(parts)}: must be one of ${(e.params.allowedValues as unknown[]).join(', ')}${got}`;
    default:
      return `${formatPath(parts)}: ${e.message ?? 'is invalid'}${got}`;
  }
}

export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
