// The committed schema and docs/graphql.md stay in step: every type, field, argument and enum
// value has a description, the page's reference is the one the SDL renders, and every GraphQL
// operation the page shows is valid against the schema. (That the gateway serves exactly this
// schema: test/integration/graphql-catalogue.test.ts.)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSchema, parse, validate } from 'graphql';
import { DOC_PATH, readSdl, renderReference, undocumented, withReference } from '../../graphql/sdl-docs.ts';
import { blocksOf } from '../helpers/doc-samples.ts';

test('every type, field, argument and enum value of the SDL has a description', () => {
  assert.equal(undocumented(), []);
});

test('docs/graphql.md carries the reference the SDL renders (npm run docs:graphql)', () => {
  const page = readFileSync(DOC_PATH, 'utf8');
  assert.is(withReference(page, renderReference()), page);
});

test('every ```graphql block of docs/graphql.md is valid against the schema', () => {
  const schema = buildSchema(readSdl());
  const blocks = blocksOf('docs/graphql.md').filter((b) => b.lang === 'graphql');
  assert.ok(blocks.length > 0);
  for (const b of blocks) assert.equal(validate(schema, parse(b.code)).map(String), [], `docs/graphql.md:${b.line}`);
});

test('an undocumented field is found', () => {
  assert.equal(undocumented('"A type."\ntype Q {\n  "a"\n  a: Int\n  b(x: Int): Int\n}'), ['Q.b', 'Q.b(x)']);
});

test.run();
