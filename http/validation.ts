// A schema validation failure in words a client developer can act on, naming the field:
//   address: required (a 0x-prefixed 20-byte hex address)
//   txHash: must be a 0x-prefixed 32-byte transaction hash
//   adress: unknown field (allowed: address)
// Each field's `description` in the route schema is the noun phrase after "must be"; a
// combinator (oneOf, not) sits in an allOf member whose description is the whole sentence.
// Needs ajv's `verbose` option (http/server.ts), which puts the failing schema in each error.

/** The part of an ajv ErrorObject this reads. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { description?: string; properties?: Record<string, { description?: string }> };
}

const COMBINATORS = new Set(['oneOf', 'anyOf', 'not']);
const CONTEXT: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

export function validationMessage(errors: readonly SchemaError[], context: string): string {
  const where = CONTEXT[context] ?? context;
  // ajv lists the failed branches of a combinator before the combinator: report the combinator.
  const e = errors.find((x) => COMBINATORS.has(x.keyword)) ?? errors[0];
  if (!e) return `${where}: invalid`;
  const at = e.instancePath.slice(1).replaceAll('/', '.');
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const ps = e.parentSchema ?? {};
  if (e.keyword === 'required') {
    const name = String(e.params.missingProperty);
    const what = ps.properties?.[name]?.description;
    return `${field(name)}: required${what ? ` (${what})` : ''}`;
  }
  if (e.keyword === 'additionalProperties') {
    const allowed = Object.keys(ps.properties ?? {}).join(', ');
    return `${field(String(e.params.additionalProperty))}: unknown field (allowed: ${allowed})`;
  }
  if (COMBINATORS.has(e.keyword)) return `${at || where}: ${ps.description ?? e.message}`;
  return `${at || where}: ${ps.description ? `must be ${ps.description}` : e.message}`;
}
