// Debian's Chromium, for the tests that run code in a real browser (playwright-core drives it;
// the project never downloads a browser build of its own). Installed with apt-get when missing,
// like redis-server (stack/tools.ts); when that cannot be done, one line says how.
import { isItradeError, itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { aptInstall, which } from './tools.ts';

export const CHROMIUM_PACKAGE = 'chromium';

/** The chromium executable; installs Debian's package when it is missing and we may (root, apt-get). */
export async function ensureChromium(log: Logger): Promise<string> {
  const found = which('chromium');
  if (found) return found;
  try {
    return await aptInstall(CHROMIUM_PACKAGE, 'chromium', log);
  } catch (err) {
    if (isItradeError(err, 'STACK_TOOL_MISSING')) throw err;
    throw itradeError(
      'STACK_TOOL_MISSING',
      `chromium not found and apt-get could not install it: install Debian's package ${CHROMIUM_PACKAGE} ` +
        `(sudo apt-get install -y ${CHROMIUM_PACKAGE})`,
      { cause: err },
    );
  }
}
