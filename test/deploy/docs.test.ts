// docs/deploy.md's samples run: every `sh` block marked "Checked by test/deploy/docs.test.ts" runs
// in bash (the offline checks with the cached tools, key generation), every values example
// renders with the chart and passes kubeconform, the minimal example is the file npm test
// renders, and every test the page cites exists.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { PINS, tool } from '../../deploy/tools/tools.ts';
import { fromRoot } from '../../lib/paths.ts';
import { kubeconformArgs, runTool, type KubeconformReport } from '../helpers/deploy.ts';
import { blocksOf } from '../helpers/doc-samples.ts';

const DOC = readFileSync(fromRoot('docs', 'deploy.md'), 'utf8');
const HERE = 'test/deploy/docs.test.ts';
// The docs harness's own reading of the page (test/helpers/doc-samples.ts): one marker convention.
const blocks = blocksOf('docs/deploy.md', DOC).map((b) => ({ ...b, body: b.code }));
const sh = blocks.filter((b) => b.lang === 'sh');
const runnable = sh.filter((b) => b.checkedBy === HERE);
const values = blocks.filter((b) => b.lang === 'yaml' && b.body.startsWith('# values:'));
const scratch = mkdtempSync(join(tmpdir(), 'itrade-deploy-doc-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('the page has runnable samples, and says why the others do not run here', () => {
  assert.ok(runnable.length >= 2, `${runnable.length} runnable`);
  for (const b of sh.filter((x) => !runnable.includes(x)))
    assert.match(b.notRun ?? '', /^\*Not run by the docs test: needs /, `${b.doc}:${b.line}`);
});

test('every runnable sh block runs', async () => {
  for (const b of runnable) {
    const r = await runTool('bash', ['-euo', 'pipefail', '-c', b.body], { env: { ...process.env, TMPDIR: scratch } });
    assert.is(r.code, 0, `${b.body}\n---\n${r.stdout}${r.stderr}`);
  }
});

test('the offline check block validates what npm test validates', () => {
  const check = runnable.find((b) => b.body.includes('kubeconform'))!;
  for (const cmd of [
    'helm lint --strict',
    'helm template',
    'kubeconform -strict',
    'promtool check rules',
    'promtool test rules',
    'hadolint deploy/Dockerfile',
    'compose-config -f deploy/compose.yaml',
  ]) {
    assert.ok(check.body.includes(cmd), cmd);
  }
});

test('the values examples render and pass kubeconform; the minimal one is ci/minimal-values.yaml', async () => {
  const minimal = values.find((v) => v.body.startsWith('# values: minimal'))!;
  const ci = readFileSync(fromRoot('deploy', 'helm', 'itrade', 'ci', 'minimal-values.yaml'), 'utf8');
  assert.equal(parse(minimal.body), parse(ci));
  const kube = PINS.kubernetesSchemas.kubernetesVersions[1];
  for (const [i, v] of values.entries()) {
    const file = join(scratch, `values-${i}.yaml`);
    writeFileSync(file, v.body);
    const files = v.body.includes('with the minimal values')
      ? [fromRoot('deploy', 'helm', 'itrade', 'ci', 'minimal-values.yaml'), file]
      : [file];
    const r = await runTool(await tool('helm'), [
      'template',
      'itrade',
      fromRoot('deploy', 'helm', 'itrade'),
      '--kube-version',
      kube,
      ...files.flatMap((f) => ['-f', f]),
    ]);
    assert.is(r.code, 0, r.stderr);
    const k = await runTool(
      await tool('kubeconform'),
      kubeconformArgs(await tool('kubernetesSchemas'), kube, ['-skip', 'PodMonitor,PrometheusRule']),
      { input: r.stdout },
    );
    const report = JSON.parse(k.stdout) as KubeconformReport;
    assert.equal([report.summary.invalid, report.summary.errors], [0, 0], k.stdout);
  }
});

test('every test file the page cites exists', () => {
  const cited = [...DOC.matchAll(/`(test\/[\w/.-]+\.(?:ts|yaml))`/g)].map((m) => m[1]!);
  assert.ok(cited.length >= 6);
  for (const f of cited) assert.ok(existsSync(fromRoot(f)), f);
});

test.run();
