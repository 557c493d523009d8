// The line-length check of `npm test` (scripts/line-length.ts): it finds a line over 120
// columns in a tracked file and skips contracts/generated/ (the runner checks the tree with it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_COLUMNS, longLines, trackedSources } from '../../scripts/line-length.ts';

test('finds the long lines of tracked .ts and .mjs files, not of contracts/generated/ or untracked ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-lines-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  mkdirSync(join(dir, 'contracts', 'generated'), { recursive: true });
  const long = `const s = '${'x'.repeat(MAX_COLUMNS)}';\n`;
  writeFileSync(join(dir, 'a.ts'), `// fine\n${long}`);
  writeFileSync(join(dir, 'b.mjs'), `${'y'.repeat(MAX_COLUMNS)}\n`); // exactly the limit: fine
  writeFileSync(join(dir, 'contracts', 'generated', 'abi.ts'), long);
  writeFileSync(join(dir, 'notes.md'), long);
  writeFileSync(join(dir, 'untracked.ts'), long);
  git('add', 'a.ts', 'b.mjs', 'contracts', 'notes.md');
  const files = trackedSources(dir);
  assert.equal(files.sort(), ['a.ts', 'b.mjs']);
  assert.equal(longLines(dir, files), [`a.ts:2: ${long.length - 1} columns`]);
});

test.run();
