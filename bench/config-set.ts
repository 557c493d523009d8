// `npm run bench -- --set bridge.producer.lingerMs=0`: a gateway config value for every gateway
// the bench starts (and for the parts that follow the gateway's settings, Kafka alone's linger),
// to measure a setting against the default in the same way. The value is JSON when it parses as
// JSON (numbers, booleans, arrays), a string otherwise; the config's own validation then names
// any key or value that is wrong.

export type ConfigSets = [path: string[], value: unknown][];

/** Parses `a.b.c=value` items; throws on an item without `=` or with an empty key. */
export function parseSets(items: readonly string[]): ConfigSets {
  return items.map((item) => {
    const eq = item.indexOf('=');
    const path = eq > 0 ? item.slice(0, eq).split('.') : [];
    if (path.length === 0 || path.some((k) => k === ''))
      throw new Error(`--set ${item}: expected <key.path>=<value>, e.g. bridge.producer.lingerMs=0`);
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the string itself (a URL, a name).
    }
    return [path, value];
  });
}

/** A copy of `input` with every set applied, objects made along the path where missing. */
export function applySets<T extends object>(input: T, sets: ConfigSets): T {
  const out = structuredClone(input) as Record<string, unknown>;
  for (const [path, value] of sets) {
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = (node[key] = next !== null && typeof next === 'object' ? next : {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out as T;
}

/** The sets as the report shows them. */
export function describeSets(sets: ConfigSets): string {
  return sets.map(([p, v]) => `${p.join('.')}=${JSON.stringify(v)}`).join(', ');
}
