// A page in Debian's Chromium (headless, playwright-core) that runs a TypeScript entry bundled by
// esbuild for platform=browser, served from 127.0.0.1 (a secure context: crypto.subtle is there).
// The entry puts its functions on globalThis.itrade; call them with inPage().
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../lib/log.ts';
import { ensureChromium } from '../../stack/chromium.ts';

export interface BrowserPage {
  page: Page;
  /** Errors the page threw (uncaught), for the test to show. */
  errors: string[];
  /** Calls itrade.<fn>(...args) in the page; arguments and result are JSON. */
  call<T>(fn: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

type PageApi = Record<string, (...a: never[]) => unknown>;

export async function openPage(entry: string): Promise<BrowserPage> {
  const executablePath = await ensureChromium(createLogger({ level: 'warn' }));
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const server: Server = createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/sdk.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'itrade' in globalThis);
    const b = browser;
    return {
      page,
      errors,
      call: <T>(fn: string, ...args: unknown[]) =>
        page.evaluate(
          ([f, a]) => (globalThis as unknown as { itrade: PageApi }).itrade[f as string]!(...(a as never[])),
          [fn, args] as const,
        ) as Promise<T>,
      async close() {
        await b.close();
        server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    server.close();
    throw err;
  }
}
