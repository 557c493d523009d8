// Environment variables are strings; a value that is wholly `${VAR}` takes the type the schema
// wants at its path (integer, number, boolean, or a comma-separated list), before validation.
import type { TSchema } from '@sinclair/typebox';
import { itradeError } from '../protocol/errors.ts';
import { formatPath, type PathPart } from './path.ts';

type Node = { type?: string; properties?: Record<string, Node>; items?: Node };

export function coerceFromEnv(schema: TSchema, data: unknown, paths: PathPart[][]): unknown {
  for (const path of paths) {
    const target = schemaAt(schema as Node, path);
    if (!target?.type || path.length === 0) continue;
    const parent = getAt(data, path.slice(0, -1)) as Record<PathPart, unknown>;
    const key = path[path.length - 1]!;
    parent[key] = coerce(String(parent[key]), target, path);
  }
  return data;
}

function coerce(v: string, s: Node, path: PathPart[]): unknown {
  switch (s.type) {
    case 'integer':
    case 'number': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) {
        throw itradeError(
          'CONFIG_INVALID',
          `${formatPath(path)}: must be a number (got ${JSON.stringify(v)} from the environment)`,
        );
      }
      return n;
    }
    case 'boolean':
      if (v === 'true' || v === 'false') return v === 'true';
      throw itradeError(
        'CONFIG_INVALID',
        `${formatPath(path)}: must be true or false (got ${JSON.stringify(v)} from the environment)`,
      );
    case 'array':
      return v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
    default:
      return v;
  }
}

function schemaAt(s: Node | undefined, path: PathPart[]): Node | undefined {
  for (const p of path) s = typeof p === 'number' ? s?.items : s?.properties?.[p];
  return s;
}

function getAt(data: unknown, path: PathPart[]): unknown {
  for (const p of path) data = (data as Record<PathPart, unknown>)[p];
  return data;
}
