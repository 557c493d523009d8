// A bad configuration stops `npm run stack:*` with one clear line and no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRoot } from '../../lib/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'itrade-cfg-'));

function runWith(yaml: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; stdout: string } {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fromRoot('scripts', 'stack.ts'), 'status', '--config', file],
    { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } },
  );
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() };
}

function assertOneLine(r: { status: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr.split('\n').length, 1, `more than one line: ${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.match(r.stderr, pattern);
}

test('unknown key', () => {
  assertOneLine(
    runWith('kafka:\n  brokerz: []\n'),
    new RegExp(
      '^stack status: .*: kafka\\.brokerz: unknown key \\(allowed here: brokers, clientId, tls, sasl\\) ' +
        '\\[ITRADE_ERR_CONFIG_INVALID\\]$',
    ),
  );
});

test('wrong type', () => {
  assertOneLine(
    runWith('stack:\n  kafka:\n    heapMb: lots\n'),
    /stack\.kafka\.heapMb: must be integer \(got "lots"\) \[ITRADE_ERR_CONFIG_INVALID\]$/,
  );
});

test('missing secret', () => {
  assertOneLine(
    runWith('redis:\n  url: ${ITRADE_SECRET_REDIS_URL}\n'),
    /redis\.url: environment variable ITRADE_SECRET_REDIS_URL is not set \[ITRADE_ERR_CONFIG_ENV\]$/,
  );
});

test('malformed YAML', () => {
  assertOneLine(runWith('stack: [\n'), /line \d+, column \d+: .* \[ITRADE_ERR_CONFIG_YAML\]$/);
});

test('missing file', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fromRoot('scripts', 'stack.ts'), 'status', '--config', join(dir, 'none.yaml')],
    { encoding: 'utf8' },
  );
  assertOneLine(
    { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() },
    /none\.yaml: cannot read configuration file \[ITRADE_ERR_CONFIG_FILE\]: caused by: ENOENT: no such file/,
  );
});

test('unknown subcommand is a usage error', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('scripts', 'stack.ts'), 'sideways'], {
    encoding: 'utf8',
  });
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage: /);
});

test.run();
