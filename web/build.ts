// Builds the web app (docs/web.md) with esbuild's JS API: web/app/main.tsx and everything it
// imports (Preact, the client SDK, the contracts' ABIs, the world map's country shapes) into one
// script and one stylesheet, beside index.html, in web.dir (dist/web by default; never committed).
// `npm start` and the tests run it; alone: npm run build:web.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../lib/paths.ts';

export const WEB_OUT_DIR = fromRoot('dist', 'web');

/** Writes index.html, app.js and app.css into `outDir`; returns it. */
export async function buildWebApp(outDir = WEB_OUT_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: fromRoot('web', 'app', 'main.tsx') },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome110',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    outdir: outDir,
    logLevel: 'warning',
    // ethers and the SDK run in the browser as they are; nothing of Node.js is bundled.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(fromRoot('web', 'app', 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildWebApp().then(
    (dir) => console.log(`web app built in ${dir}`),
    (err: unknown) => {
      console.error(`build:web: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
