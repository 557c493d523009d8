// The composition root stays a production composition: nothing it loads, directly or through
// another module, comes from the development stack, the CLI, the tests or the bench; endpoints
// come from the configuration or the caller, and an empty one nobody passed fails fast. The
// bench, likewise, imports no test code.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { createLogger } from '../../lib/log.ts';
import { PROJECT_ROOT, fromRoot } from '../../lib/paths.ts';
import { isItradeError } from '../../protocol/errors.ts';

// Every relative specifier of a module: static imports and re-exports (type-only ones too: a
// type from stack/ is a dependency on stack/ all the same), side-effect and dynamic imports.
const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs)$/.test(p) ? [p] : [];
  });
}

/** Each module reachable from `entries`, with the chain of imports that reaches it. */
function reachable(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string, chain: string[]) => {
    const rel = relative(PROJECT_ROOT, file);
    if (seen.has(rel) || !existsSync(file)) return;
    seen.set(rel, [...chain, rel]);
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER))
      visit(resolve(dirname(file), m[1]!), [...chain, rel]);
  };
  for (const e of entries) visit(e, []);
  return seen;
}

function offenders(entries: string[], forbidden: RegExp): string[] {
  return [...reachable(entries)].filter(([rel]) => forbidden.test(rel)).map(([, chain]) => chain.join(' -> '));
}

const NOT_PRODUCTION = /^(stack|cli|test|bench|scripts)\//;

test('the walk finds what a module really imports (so the checks below can fail)', () => {
  const found = offenders([fromRoot('cli', 'commands', 'gateway.ts')], NOT_PRODUCTION);
  assert.ok(
    found.some((c) => c.endsWith('stack/stack.ts')),
    found.join('\n'),
  );
  assert.ok(reachable([fromRoot('gateway', 'gateway.ts')]).has('http/api.ts'));
});

test('gateway/ reaches no development stack, no CLI, no test or bench code', () => {
  assert.equal(offenders(sources(fromRoot('gateway')), NOT_PRODUCTION), []);
});

test('bench/ imports nothing from test/', () => {
  assert.equal(offenders(sources(fromRoot('bench')), /^test\//), []);
});

test('empty endpoints and none passed: the gateway refuses to start, naming each key', async () => {
  const cfg = validateConfig({ log: { level: 'silent' }, kafka: { brokers: ['127.0.0.1:9092'] } }, 'test');
  let err: unknown;
  try {
    await startGateway(cfg, { log: createLogger({ level: 'silent' }) });
  } catch (e) {
    err = e;
  }
  assert.ok(isItradeError(err, 'CONFIG_INVALID'), String(err));
  const message = (err as Error).message;
  assert.match(message, /^redis\.url \(ITRADE_REDIS_URL\), chain\.rpcUrl \(ITRADE_RPC_URL\): empty/);
  assert.not.match(message, /kafka\.brokers/);
});

test.run();
