// The client SDK is a library a stranger installs and a browser page loads: it imports nothing
// of the gateway but protocol/ (the wire formats and error codes it shares with it), and nothing
// only Node.js has outside sdk/node/. Walks the whole static import graph from its two entries.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { importGraph, isNodeBuiltin, pathTo } from '../helpers/import-graph.ts';

/** The gateway's folders and the tooling around it: never imported by the SDK. */
export const SERVER_FOLDERS = [
  'config', 'stack', 'bridge', 'broker', 'gateway', 'chain', 'auth', 'http', 'metering', 'keys', 'operator',
  'sovereignty', 'interfaces', 'lib', 'participant', 'firmware-sim', 'cli', 'scripts', 'bench', 'test',
]; // prettier-ignore
const ALLOWED = [/^sdk\//, /^protocol\//, /^contracts\/client\.ts$/, /^contracts\/generated\//];
// Runtime globals a browser does not have (types named Buffer are erased and harmless).
const NODE_GLOBALS = /\b(Buffer|process)\.[a-zA-Z]+|\b__dirname\b|\brequire\(/;

/** What is wrong with the SDK under `root`; empty when nothing is. */
export function boundaryProblems(root: string): string[] {
  const problems: string[] = [];
  const node = importGraph(root, ['sdk/node.ts']);
  const browser = importGraph(root, ['sdk/index.ts']);
  for (const f of node.files) {
    if (!ALLOWED.some((r) => r.test(f))) {
      const room = SERVER_FOLDERS.find((d) => f.startsWith(`${d}/`)) ?? f;
      problems.push(`imports ${room}/: ${pathTo(node.edges, 'sdk/node.ts', f).join(' -> ')}`);
    }
  }
  for (const e of node.edges) {
    if (isNodeBuiltin(e.specifier) && !e.from.startsWith('sdk/node/'))
      problems.push(`${e.from} imports ${e.specifier}: Node.js-only modules belong in sdk/node/`);
  }
  for (const f of browser.files) {
    if (f.startsWith('sdk/node/'))
      problems.push(`the browser entry reaches ${f}: ${pathTo(browser.edges, 'sdk/index.ts', f).join(' -> ')}`);
    const m = NODE_GLOBALS.exec(
      readFileSync(join(root, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, ''),
    );
    if (m) problems.push(`${f} uses ${m[0]}, which a browser does not have`);
  }
  return problems;
}

test('the SDK imports only protocol/ and itself; Node.js modules only in sdk/node/', () => {
  const problems = boundaryProblems(PROJECT_ROOT);
  assert.equal(problems, [], problems.join('\n'));
});

test('the graph is the whole SDK: both entries reach protocol/, the Node entry reaches sdk/node/', () => {
  const node = importGraph(PROJECT_ROOT, ['sdk/node.ts']);
  const browser = importGraph(PROJECT_ROOT, ['sdk/index.ts']);
  for (const f of ['protocol/errors.ts', 'protocol/key-exchange.ts', 'sdk/device.ts', 'sdk/buyer.ts'])
    assert.ok(browser.files.has(f), f);
  assert.ok(node.files.has('sdk/node/keyring-folder.ts'));
  assert.ok(
    node.edges.some((e) => e.specifier === 'mqtt'),
    'npm packages are seen as imports',
  );
});

function writeAt(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

// The checker must catch what it exists to catch: a copy of the SDK with one bad import each.
test('the check fails on a server import, a type-only one, node: outside sdk/node/, Buffer in the browser', () => {
  const cases: [string, string, RegExp][] = [
    ['sdk/crypto/reading.ts', "import { createLogger } from '../../lib/log.ts';", /imports lib\/: sdk\/node\.ts -> /],
    ['sdk/key-agent.ts', "import type { Entitlements } from '../interfaces/layers.ts';", /imports interfaces\//],
    ['protocol/topics.ts', "import { x } from '../broker/acl.ts';", /imports broker\//],
    ['sdk/device.ts', "import { readFileSync } from 'node:fs';", /sdk\/device\.ts imports node:fs/],
    ['sdk/buyer.ts', "import { randomBytes } from 'crypto';", /sdk\/buyer\.ts imports crypto/],
    ['sdk/index.ts', "export { KeyringFolder } from './node/keyring-folder.ts';", /browser entry reaches sdk\/node\//],
    ['sdk/crypto/envelope.ts', 'export const b = () => Buffer.from([1]);', /envelope\.ts uses Buffer\.from/],
  ];
  for (const [file, line, expected] of cases) {
    const root = mkdtempSync(join(tmpdir(), 'itrade-boundary-'));
    try {
      for (const d of ['sdk', 'protocol']) cpSync(join(PROJECT_ROOT, d), join(root, d), { recursive: true });
      for (const [f, body] of [
        ['lib/log.ts', 'export const createLogger = 1;'],
        ['interfaces/layers.ts', 'export type Entitlements = 1;'],
        ['broker/acl.ts', 'export const x = 1;'],
      ])
        writeAt(join(root, f!), body!);
      writeAt(join(root, file), `${line}\n${readFileSync(join(root, file), 'utf8')}`);
      const problems = boundaryProblems(root);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${file} + ${line}: got ${JSON.stringify(problems)}`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test(
  'the simulator, participant tooling, CLI, bench and ' + 'scripts use the SDK like an outside user: its entries only',
  () => {
    const users = ['firmware-sim', 'participant', 'cli', 'bench', 'scripts'];
    const graph = importGraph(
      PROJECT_ROOT,
      readdirSync(PROJECT_ROOT, { recursive: true, encoding: 'utf8' }).filter(
        (f) => users.some((u) => f.startsWith(`${u}/`)) && f.endsWith('.ts') && !f.includes('node_modules'),
      ),
    );
    const inside = graph.edges.filter(
      (e) =>
        users.some((u) => e.from.startsWith(`${u}/`)) &&
        e.to?.startsWith('sdk/') &&
        !/^sdk\/(index|node)\.ts$/.test(e.to),
    );
    assert.equal(
      inside.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  },
);

test.run();
