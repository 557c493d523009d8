// The one helper the registry's parts share.
import type { ErrorSpec } from '../errors.ts';

/** Checks one entry against ErrorSpec and keeps its literal code type (so ErrorName stays exact). */
export function spec<S extends ErrorSpec>(s: S): S {
  return s;
}
