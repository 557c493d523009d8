// Locations inside the project. Relative paths in the configuration resolve against the
// project root, not the caller's working directory, so `npm test` from any folder behaves alike.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function fromRoot(...parts: string[]): string {
  const joined = resolve(PROJECT_ROOT, ...parts);
  return joined;
}

export function resolvePath(p: string): string {
  return isAbsolute(p) ? p : fromRoot(p);
}

/** Downloads shared by every stack of this clone (Kafka jars): never committed. */
export const CACHE_DIR = fromRoot('.cache');

/** The configuration file to use: an explicit path, else $ITRADE_CONFIG, else config/itrade.yaml. */
export function configPath(explicit?: string): string {
  return resolvePath(explicit ?? process.env.ITRADE_CONFIG ?? 'config/itrade.yaml');
}
