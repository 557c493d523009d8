// Schema helpers shared by the section files.
import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/** A string from a fixed list, as a plain JSON Schema `enum` (clear errors, simple docs). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}
