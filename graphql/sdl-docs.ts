// The reference part of docs/graphql.md, rendered from the committed SDL (graphql/schema.graphql):
// one section per type, in the SDL's order, with every field, argument and enum value and the
// description the SDL gives it. `npm run docs:graphql` writes it between the page's markers;
// test/graphql/schema-docs.test.ts fails when the page is stale or a description is missing.
import { readFileSync } from 'node:fs';
import {
  parse,
  type DefinitionNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from 'graphql';
import { fromRoot } from '../lib/paths.ts';

export const SDL_PATH = fromRoot('graphql', 'schema.graphql');
export const DOC_PATH = fromRoot('docs', 'graphql.md');
export const BEGIN = '<!-- BEGIN GENERATED REFERENCE (npm run docs:graphql) -->';
export const END = '<!-- END GENERATED REFERENCE -->';

export function readSdl(): string {
  return readFileSync(SDL_PATH, 'utf8');
}

const typeName = (t: TypeNode): string =>
  t.kind === 'NamedType' ? t.name.value : t.kind === 'ListType' ? `[${typeName(t.type)}]` : `${typeName(t.type)}!`;

const cell = (s: string | undefined): string => (s ?? '').replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

function args(a: readonly InputValueDefinitionNode[] | undefined): string {
  if (!a?.length) return '';
  const one = (x: InputValueDefinitionNode) =>
    `${x.name.value}: ${typeName(x.type)}${x.defaultValue ? ` = ${printValue(x)}` : ''}`;
  return `(${a.map(one).join(', ')})`;
}

function printValue(x: InputValueDefinitionNode): string {
  const v = x.defaultValue!;
  return 'value' in v ? String(v.value) : v.kind;
}

function fieldRows(fields: readonly (FieldDefinitionNode | InputValueDefinitionNode)[]): string[] {
  return [
    '| field | type | what |',
    '| --- | --- | --- |',
    ...fields.map(
      (f) =>
        `| \`${f.name.value}${'arguments' in f ? args(f.arguments) : ''}\` | \`${typeName(f.type)}\` | ` +
        `${cell(f.description?.value)}${argNotes(f)} |`,
    ),
  ];
}

function argNotes(f: FieldDefinitionNode | InputValueDefinitionNode): string {
  if (!('arguments' in f) || !f.arguments?.length) return '';
  return ` Arguments: ${f.arguments.map((a) => `\`${a.name.value}\`: ${cell(a.description?.value)}`).join(' ')}`;
}

const KIND: Record<string, string> = {
  ObjectTypeDefinition: 'type',
  InputObjectTypeDefinition: 'input',
  EnumTypeDefinition: 'enum',
  ScalarTypeDefinition: 'scalar',
};

function section(d: DefinitionNode): string[] {
  if (!(d.kind in KIND) || !('name' in d) || !d.name) return [];
  const out = [`### ${KIND[d.kind]} ${d.name.value}`, ''];
  if ('description' in d && d.description) out.push(cell(d.description.value), '');
  if (d.kind === 'ObjectTypeDefinition' || d.kind === 'InputObjectTypeDefinition')
    out.push(...fieldRows(d.fields ?? []));
  if (d.kind === 'EnumTypeDefinition')
    out.push(
      '| value | what |',
      '| --- | --- |',
      ...(d.values ?? []).map((v) => `| \`${v.name.value}\` | ${cell(v.description?.value)} |`),
    );
  if (out[out.length - 1] !== '') out.push('');
  return out;
}

/** The generated reference, markers included. */
export function renderReference(sdl = readSdl()): string {
  const body = parse(sdl).definitions.flatMap(section);
  return [BEGIN, '', ...body, END].join('\n');
}

/** The page with its reference replaced by `reference`. */
export function withReference(page: string, reference: string): string {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/graphql.md has no ${BEGIN} ... ${END} markers`);
  return page.slice(0, a) + reference + page.slice(b + END.length);
}

/** Every type, field, argument and enum value of the SDL that has no description. */
export function undocumented(sdl = readSdl()): string[] {
  const out: string[] = [];
  for (const d of parse(sdl).definitions) {
    if (!(d.kind in KIND) || !('name' in d) || !d.name) continue;
    const t = d.name.value;
    if (!('description' in d) || !d.description) out.push(t);
    const fields = 'fields' in d ? (d.fields ?? []) : [];
    for (const f of fields as readonly (FieldDefinitionNode | InputValueDefinitionNode)[]) {
      if (!f.description) out.push(`${t}.${f.name.value}`);
      if ('arguments' in f)
        for (const a of f.arguments ?? []) if (!a.description) out.push(`${t}.${f.name.value}(${a.name.value})`);
    }
    if (d.kind === 'EnumTypeDefinition')
      for (const v of d.values ?? []) if (!v.description) out.push(`${t}.${v.name.value}`);
  }
  return out;
}
