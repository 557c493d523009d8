// `npm run deploy:tools`: installs (or finds in the tool cache) every program the deployment
// checks need, and prints one line per tool: version, where it is, and how long it took.
// `npm test` does the same before the deployment tests (scripts/test.ts).
//   npm run deploy:tools -- [tool ...]       only these (helm, kubeconform, promtool, ...)
//   eval "$(npm run -s deploy:tools -- --env)"   puts the tools on PATH and sets
//                                            ITRADE_K8S_SCHEMAS (kubeconform's offline schemas)
import { dirname } from 'node:path';
import { oneLine } from '../protocol/errors.ts';
import { toolsRoot } from '../deploy/tools/cache.ts';
import { ALL_TOOLS, installAll, type ToolInstall, type ToolName } from '../deploy/tools/tools.ts';

const args = process.argv.slice(2);
const asEnv = args.includes('--env');
const wanted = args.filter((a) => a !== '--env') as ToolName[];
const unknown = wanted.filter((n) => !ALL_TOOLS.includes(n));
if (unknown.length > 0) {
  console.error(`unknown tool ${unknown.join(', ')}; known: ${ALL_TOOLS.join(', ')}`);
  process.exit(2);
}
// With --env, stdout is for the shell: the report goes to stderr.
const say = (line: string) => (asEnv ? console.error(line) : console.log(line));
say(`tool cache: ${toolsRoot()}`);
const results = await installAll(wanted.length > 0 ? wanted : ALL_TOOLS);
for (const r of results) {
  if ('error' in r) say(`FAIL ${r.name}: ${oneLine(r.error)}`);
  else
    say(`ok   ${r.name} ${r.version}  ${r.fresh ? 'installed' : 'cached'} in ${(r.ms / 1000).toFixed(1)} s  ${r.path}`);
}
if (asEnv) {
  const ok = results.filter((r): r is ToolInstall => !('error' in r));
  const dirs = ok.filter((r) => r.name !== 'kubernetesSchemas' && r.name !== 'node24').map((r) => dirname(r.path));
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  console.log(`export PATH=${q(dirs.join(':'))}:"$PATH"`);
  const schemas = ok.find((r) => r.name === 'kubernetesSchemas');
  if (schemas) console.log(`export ITRADE_K8S_SCHEMAS=${q(schemas.path)}`);
}
process.exitCode = results.some((r) => 'error' in r) ? 1 : 0;
