// The shell samples of docs/*.md and sdk/README.md, run as a reader runs them: every sh block of a
// doc in order in one bash (they build on each other's variables), with `itrade` on the PATH and
// Debian's mosquitto-clients (installed with apt-get when missing), against a real gateway on the
// test stack. Blocks marked as not run (test/helpers/doc-samples.ts) are left out.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../lib/log.ts';
import { fromRoot } from '../../lib/paths.ts';
import { aptInstall } from '../../stack/tools.ts';
import { blocksOf, docFiles, runnable } from '../helpers/doc-samples.ts';
import { services } from '../helpers/services.ts';
import { startMarket, type SimMarket } from '../helpers/sim-market.ts';

const scripts = docFiles()
  .map((doc) => ({ doc, blocks: blocksOf(doc).filter((b) => runnable(b) && (b.lang === 'sh' || b.lang === 'bash')) }))
  .filter((d) => d.blocks.length > 0);
const work = mkdtempSync(join(tmpdir(), 'itrade-docs-sh-'));
let m: SimMarket;
let env: NodeJS.ProcessEnv;

test.before(async () => {
  await aptInstall('mosquitto-clients', 'mosquitto_pub', createLogger({ level: 'warn' }));
  m = await startMarket();
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'itrade'), `#!/bin/sh\nexec "${process.execPath}" "${fromRoot('bin', 'itrade.mjs')}" "$@"\n`);
  chmodSync(join(bin, 'itrade'), 0o755);
  const config = join(work, 'itrade.yaml');
  writeFileSync(
    config,
    [
      'chain:',
      `  rpcUrl: ${services().rpcUrl}`,
      `  marketplace: "${m.market.address}"`,
      'broker:',
      '  http:',
      `    port: ${m.gw.httpPort}`,
      '  listeners:',
      '    tcp:',
      '      host: 127.0.0.1',
      `      port: ${m.gw.mqtt.tcp}`,
      '',
    ].join('\n'),
  );
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    ITRADE_CONFIG: config,
    ITRADE_MQTT_PORT: String(m.gw.mqtt.tcp),
    ITRADE_LOG_LEVEL: 'warn',
    // The admin samples (docs/operations.md) take their bearer from here, as an operator would.
    ITRADE_OPERATOR_TOKEN: (await m.gw.tokens.issueOperator('docs', 600)).token,
  };
});

test.after(async () => {
  await m?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the harness finds the shell walk-through of docs/mosquitto.md', () => {
  assert.ok(
    scripts.some((s) => s.doc === 'docs/mosquitto.md' && s.blocks.length >= 6),
    JSON.stringify(scripts),
  );
});

for (const { doc, blocks } of scripts) {
  test(`${doc}: its ${blocks.length} shell blocks run in order and exit 0`, async () => {
    const cwd = join(work, doc.replace(/[/.]/g, '-'));
    mkdirSync(cwd);
    const script = ['set -euo pipefail -x', ...blocks.map((b) => `# ${doc}:${b.line}\n${b.code}`)].join('\n');
    writeFileSync(join(cwd, 'doc.sh'), script);
    // Its own process group: whatever a failed script left running (the key agent) is stopped with it.
    const child = spawn('bash', ['doc.sh'], { cwd, env, detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* the group is gone: nothing was left running */
    }
    assert.is(code, 0, `${doc} failed:\n${out.split('\n').slice(-60).join('\n')}`);
  });
}

test.run();
