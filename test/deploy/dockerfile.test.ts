// The container image's recipe: hadolint finds nothing in it (and does find the mistakes it is
// there for), and the properties docs/deploy.md promises hold: Node.js 24 (the version the
// production-install test runs), production dependencies only, a non-root user, tini as PID 1
// with node exec'd (signals reach the graceful shutdown), a health check on /healthz, the
// configuration from /etc/itrade, and a build context without tests, docs or local state.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PINS, tool } from '../../deploy/tools/tools.ts';
import { fromRoot } from '../../lib/paths.ts';
import { dockerIgnored, dockerignorePatterns, imageFiles, runTool } from '../helpers/deploy.ts';

const DOCKERFILE = fromRoot('deploy', 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const lines = text.split('\n').filter((l) => !l.startsWith('#'));
const instr = (name: string) => lines.filter((l) => l.startsWith(`${name} `));

interface Finding {
  code: string;
  line: number;
  message: string;
}

async function hadolint(input: string): Promise<{ code: number; findings: Finding[] }> {
  const r = await runTool(await tool('hadolint'), ['--no-color', '-f', 'json', '-'], { input });
  return { code: r.code, findings: JSON.parse(r.stdout || '[]') as Finding[] };
}

test('hadolint: no finding at any level in deploy/Dockerfile', async () => {
  const r = await hadolint(text);
  assert.equal(
    r.findings.map((f) => `${f.line} ${f.code} ${f.message}`),
    [],
  );
  assert.is(r.code, 0);
});

test('hadolint does report the mistakes it is there for (latest tag, unpinned apt, shell-form CMD, root)', async () => {
  const r = await hadolint('FROM node:latest\nRUN apt-get install curl\nCMD npm start\n');
  const codes = r.findings.map((f) => f.code);
  for (const c of ['DL3007', 'DL3008', 'DL3025']) assert.ok(codes.includes(c), `${c} in ${codes.join(' ')}`);
  assert.is.not(r.code, 0);
});

test('Node.js 24 LTS, the version the production-install test runs; three stages', () => {
  assert.match(text, new RegExp(`^ARG NODE_VERSION=${PINS.node24.version.replaceAll('.', '\\.')}$`, 'm'));
  assert.ok(PINS.node24.version.startsWith('24.'));
  const froms = instr('FROM');
  assert.equal(froms, [
    'FROM node:${NODE_VERSION}-bookworm-slim AS deps',
    'FROM node:${NODE_VERSION}-bookworm-slim AS web',
    'FROM node:${NODE_VERSION}-bookworm-slim AS runtime',
  ]);
});

test('the web app is built in its own stage and only its files reach the image', () => {
  assert.ok(instr('RUN').includes('RUN node --import tsx web/build.ts'));
  assert.ok(instr('COPY').includes('COPY --from=web /app/dist/web ./dist/web'));
  const runtime = lines.slice(lines.findIndex((l) => l.endsWith(' AS runtime')));
  assert.not.ok(
    runtime.some((l) => /npm ci(?! --omit=dev)/.test(l)),
    'no development install in the runtime stage',
  );
});

test('production dependencies only, installed from the lockfile', () => {
  assert.ok(instr('RUN').some((l) => l.includes('npm ci --omit=dev')));
  assert.not.ok(/npm (install|i) /.test(text), 'never npm install (it could change the lockfile)');
  assert.ok(instr('COPY').includes('COPY --from=deps /app/node_modules ./node_modules'));
});

test('a numeric non-root user; tini as PID 1 exec-ing node (no shell, no npm) with gateway as default', () => {
  const user = instr('USER');
  assert.equal(user, ['USER 1000:1000']);
  assert.is(
    lines.lastIndexOf('USER 1000:1000') > lines.findIndex((l) => l.startsWith('RUN ')),
    true,
    'USER after every RUN',
  );
  assert.equal(instr('ENTRYPOINT'), ['ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/itrade.mjs"]']);
  assert.equal(instr('CMD'), ['CMD ["gateway"]']);
  assert.ok(instr('RUN').some((l) => /tini=\S+/.test(text) && l.includes('apt-get update')));
});

test('the health check asks the operator endpoint /healthz; the operator port is exposed for it', () => {
  const hc = text.slice(text.indexOf('HEALTHCHECK'));
  assert.match(hc, /\/healthz/);
  assert.match(hc, /ITRADE_OPERATOR_PORT \|\| 18090/);
  assert.match(instr('EXPOSE')[0]!, /\b18090\b/);
  assert.match(
    readFileSync(fromRoot('deploy', 'container', 'itrade.yaml'), 'utf8'),
    /port: \$\{ITRADE_OPERATOR_PORT:-18090\}/,
  );
});

test('configuration at /etc/itrade/itrade.yaml (ITRADE_CONFIG), secrets from the environment', () => {
  assert.match(text, /ITRADE_CONFIG=\/etc\/itrade\/itrade\.yaml/);
  assert.ok(instr('COPY').includes('COPY deploy/container/itrade.yaml /etc/itrade/itrade.yaml'));
  assert.not.match(text, /SECRET|PASSWORD|PRIVATE/i, 'no secret baked into the image');
});

test('.dockerignore: the context has the source and the lockfile, not tests, docs, local state or node_modules', () => {
  const p = dockerignorePatterns();
  for (const f of [
    'node_modules/x/index.js',
    '.cache/stack/redis/data',
    'test/lib/errors.test.ts',
    'docs/deploy.md',
    'README.md',
    'deploy/helm/itrade/Chart.yaml',
    '.git/HEAD',
    'bench/run.ts',
    'a/b/debug.log',
  ]) {
    assert.ok(dockerIgnored(f, p), `${f} is excluded`);
  }
  for (const f of [
    'package.json',
    'package-lock.json',
    'bin/itrade.mjs',
    'gateway/run.ts',
    'deploy/container/itrade.yaml',
    'tsconfig.json',
  ]) {
    assert.not.ok(dockerIgnored(f, p), `${f} is in`);
  }
  const files = imageFiles();
  assert.ok(files.includes('cli/main.ts') && files.includes('package-lock.json'));
  assert.equal(
    files.filter((f) => /^(test|docs|bench|scripts)\//.test(f)),
    [],
  );
});

test.run();
