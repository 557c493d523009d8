// `${VAR}` and `${VAR:-default}` interpolation of environment variables into string values of
// the parsed YAML, so secrets stay out of the file. `$${` is a literal `${`. A missing variable
// without a default fails with the path of the value that needed it.
import { itradeError } from '../protocol/errors.ts';
import { formatPath, type PathPart } from './path.ts';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Interpolated {
  value: unknown;
  /** Paths whose whole value came from one variable: typed by the schema afterwards. */
  fromEnv: PathPart[][];
}

export function interpolateEnv(input: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const fromEnv: PathPart[][] = [];
  const value = walk(input, [], env, fromEnv);
  return { value, fromEnv };
}

function walk(node: unknown, path: PathPart[], env: NodeJS.ProcessEnv, fromEnv: PathPart[][]): unknown {
  if (typeof node === 'string') return substitute(node, path, env, fromEnv);
  if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, i], env, fromEnv));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k], env, fromEnv);
    return out;
  }
  return node;
}

function substitute(s: string, path: PathPart[], env: NodeJS.ProcessEnv, fromEnv: PathPart[][]): string {
  const whole = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/.test(s);
  const out = s.replace(REF, (match, name: string | undefined, def: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name!];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    throw itradeError('CONFIG_ENV', `${formatPath(path)}: environment variable ${name} is not set`);
  });
  if (whole) fromEnv.push(path);
  return out;
}
