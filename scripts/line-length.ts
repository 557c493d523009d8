// Lines stay readable: no tracked .ts or .mjs line is longer than 120 columns (the house style,
// and prettier's printWidth). Prettier breaks code but not a long string or comment; this check,
// run by `npm test` beside prettier, catches those. contracts/generated/ is machine-written.
// Fix a hit by wrapping the comment or splitting the string with +.
//   npx tsx scripts/line-length.ts      lists every line over the limit; exit 1 if any
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../lib/paths.ts';

export const MAX_COLUMNS = 120;

/** The .ts and .mjs files git tracks under `root`, outside contracts/generated/. */
export function trackedSources(root: string): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--', '*.ts', '*.tsx', '*.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ls-files failed in ${root}: ${r.stderr || r.error?.message}`);
  return r.stdout.split('\0').filter((f) => f !== '' && !f.startsWith('contracts/generated/'));
}

/** `file:line: N columns` for every line longer than MAX_COLUMNS (counted in characters). */
export function longLines(root: string, files: readonly string[]): string[] {
  return files.flatMap((f) =>
    readFileSync(join(root, f), 'utf8')
      .split('\n')
      .flatMap((line, i) => {
        const columns = [...line.replace(/\r$/, '')].length;
        return columns > MAX_COLUMNS ? [`${f}:${i + 1}: ${columns} columns`] : [];
      }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const hits = longLines(PROJECT_ROOT, trackedSources(PROJECT_ROOT));
  for (const h of hits) console.log(h);
  if (hits.length > 0) console.log(`${hits.length} line(s) over ${MAX_COLUMNS} columns: wrap or split them`);
  process.exitCode = hits.length > 0 ? 1 : 0;
}
