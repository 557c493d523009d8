// npm run docs:config: regenerate docs/configuration.md from the schema.
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../config/docs.ts';
import { fromRoot } from '../lib/paths.ts';

writeFileSync(fromRoot('docs', 'configuration.md'), renderConfigDocs());
console.log('wrote docs/configuration.md');
