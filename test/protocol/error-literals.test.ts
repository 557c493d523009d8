// No code string outside the registry: every ITRADE_ERR_ code is spelt out once, in
// protocol/error-codes.ts and its parts in protocol/error-codes/, and named everywhere else
// (errorCode('X'), isItradeError(err, 'X')), so a misspelt code is a type error. The check reads
// the literals of the source (strings, templates, regular expressions), not its comments. Tests
// are exempt: they pin the codes a user sees, spelt out on purpose; so are docs and data files,
// which are not code.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const REGISTRY = 'protocol/error-codes.ts';
// The registry's parts, merged by REGISTRY (by component: start-up, crypto, connect, API, runtime).
const REGISTRY_PARTS = 'protocol/error-codes/';
const inRegistry = (f: string): boolean => f === REGISTRY || f.startsWith(REGISTRY_PARTS);
// dist/: build output (the web app's bundle carries the registry it was built from).
const SKIP_DIRS = new Set(['node_modules', '.git', '.cache', 'test', 'docs', 'dist', 'results']);
const CODE = /\.(ts|mts|cts|js|mjs|cjs|tsx)$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : sources(join(dir, e.name));
    return CODE.test(e.name) ? [join(dir, e.name)] : [];
  });
}

/** Every string, template or regular-expression literal in `text` that holds `needle`, with its line. */
export function literalsWith(file: string, text: string, needle: string): { line: number; text: string }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node) ||
        ts.isRegularExpressionLiteral(node)) &&
      node.getText(sf).includes(needle)
    )
      found.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.getText(sf) });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('the scan finds codes in strings, templates and regular expressions, not in comments', () => {
  const sample = [
    '// ITRADE_ERR_IN_A_COMMENT is fine',
    "const a = 'ITRADE_ERR_A';",
    'const b = `x ${1} ITRADE_ERR_B`;',
    'type C = `ITRADE_ERR_${string}`;',
    'const d = /^ITRADE_ERR_D$/;',
    "const e = 'ITRADE' + 'OK';",
  ].join('\n');
  assert.equal(
    literalsWith('sample.ts', sample, 'ITRADE_ERR_').map((f) => f.line),
    [2, 3, 4, 5],
  );
});

test(`no ITRADE_ERR_ literal in the source outside ${REGISTRY} and ${REGISTRY_PARTS}`, () => {
  const files = sources(PROJECT_ROOT);
  assert.ok(files.length > 100, `only ${files.length} source files found`);
  const offenders = files
    .map((f) => relative(PROJECT_ROOT, f))
    .filter((f) => !inRegistry(f))
    .flatMap((f) =>
      literalsWith(f, readFileSync(join(PROJECT_ROOT, f), 'utf8'), 'ITRADE_ERR_').map(
        (l) => `${f}:${l.line} ${l.text}`,
      ),
    );
  assert.equal(offenders, [], 'name the code through protocol/errors.ts (errorCode, isItradeError, errorName)');
});

test.run();
