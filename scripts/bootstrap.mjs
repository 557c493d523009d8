// Runs before anything else in `npm test` / `npm start` / `npm run stack:*`, with no dependency
// installed yet: installs node_modules with `npm ci` when they are missing or older than the
// lockfile, so a fresh clone needs no other step.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('bootstrap: installing node_modules (npm ci) ...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('bootstrap: npm ci failed; see the output above');
    process.exit(r.status ?? 1);
  }
}
