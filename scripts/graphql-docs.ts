// npm run docs:graphql: writes the reference of docs/graphql.md from graphql/schema.graphql.
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_PATH, renderReference, withReference } from '../graphql/sdl-docs.ts';

writeFileSync(DOC_PATH, withReference(readFileSync(DOC_PATH, 'utf8'), renderReference()));
console.log('docs/graphql.md: reference written');
