// `npm run deploy:tools`: installs (or finds in the tool cache) every program the deployment
// checks need, and prints one line per tool: version, where it is, and how long it took.
// `npm test` does the same before the deployment tests (scripts/test.ts).
import { oneLine } from '../lib/errors.ts';
import { toolsRoot } from '../deploy/tools/cache.ts';
import { ALL_TOOLS, installAll, type ToolName } from '../deploy/tools/tools.ts';

const wanted = process.argv.slice(2) as ToolName[];
const unknown = wanted.filter((n) => !ALL_TOOLS.includes(n));
if (unknown.length > 0) {
  console.error(`unknown tool ${unknown.join(', ')}; known: ${ALL_TOOLS.join(', ')}`);
  process.exit(2);
}
console.log(`tool cache: ${toolsRoot()}`);
const results = await installAll(wanted.length > 0 ? wanted : ALL_TOOLS);
for (const r of results) {
  if ('error' in r) console.log(`FAIL ${r.name}: ${oneLine(r.error)}`);
  else console.log(`ok   ${r.name} ${r.version}  ${r.fresh ? 'installed' : 'cached'} in ${(r.ms / 1000).toFixed(1)} s  ${r.path}`);
}
process.exitCode = results.some((r) => 'error' in r) ? 1 : 0;
