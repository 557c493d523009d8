// Paths into the configuration, printed the way an operator reads them: `kafka.brokers[0]`.
export type PathPart = string | number;

export function formatPath(parts: readonly PathPart[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

/** Ajv's JSON pointer (`/kafka/brokers/0`) to path parts; digits in array position become numbers. */
export function pointerToParts(pointer: string, root: unknown): PathPart[] {
  if (!pointer) return [];
  const parts: PathPart[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const part: PathPart = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    parts.push(part);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return parts;
}
