// `npm start` (scripts/start.ts), the README's first command, run as a user runs it: against the
// test stack's services (named in the environment, so nothing else is started), with a config
// whose marketplace is not deployed yet. It must deploy it, start `itrade gateway`, print readings
// the buyer decrypted, and on Ctrl-C print the verdict, stop the gateway and exit 0.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRoot, PROJECT_ROOT } from '../../lib/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { chainProvider, fundedWallet } from '../helpers/chain.ts';
import { testConfig, waitFor } from '../helpers/gateway.ts';

test('npm start: deploys, starts the gateway, prints decrypted readings, stops cleanly on Ctrl-C', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-start-'));
  type Section = Record<string, unknown>;
  const cfg = JSON.parse(JSON.stringify(testConfig())) as {
    chain: Section;
    broker: { listeners: Record<string, Section>; http: Section };
  };
  cfg.chain.deploymentFile = join(dir, 'deployment.json');
  cfg.broker.listeners.tcp!.port = await freePort();
  cfg.broker.http.port = await freePort();
  const file = join(dir, 'itrade.json');
  writeFileSync(file, JSON.stringify(cfg)); // JSON is YAML

  // Not the local stack's chain, so the deploy wants a key of its own (contracts/deploy.ts).
  const provider = chainProvider();
  const deployer = await fundedWallet(provider);
  provider.destroy();
  const args = [
    '--import',
    'tsx',
    fromRoot('scripts', 'start.ts'),
    '--devices',
    '2',
    '--buyers',
    '1',
    '--rate',
    '4',
    '--rotate-every',
    '0',
  ];
  const proc = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ITRADE_CONFIG: file, ITRADE_DEPLOYER_KEY: deployer.privateKey, ITRADE_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(l));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  try {
    const output = () => `\n${lines.join('\n')}\n${stderr}`;
    // A reading line: "<time>  buyer 0 <- 0x1234…abcd temperature  #3  19.23 Cel  key 1  12 ms".
    const reading = /buyer 0 <- 0x[0-9a-f]{4}….{4} +\S+ +#\d+ +-?[\d.]+ +\S+ +key \d+/;
    await waitFor(
      'three decrypted readings',
      () => code !== undefined || lines.filter((l) => reading.test(l)).length >= 3,
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}${output()}`);
    });
    assert.is(code, undefined, `npm start exited early${output()}`);
    assert.ok(existsSync(join(dir, 'deployment.json')), 'the marketplace was deployed and recorded');
    assert.ok(
      lines.some((l) => /gateway running \(pid \d+\)/.test(l)),
      `the gateway was started${output()}`,
    );
    // The web app's address and the demo's accounts, and the app answers there.
    const app = lines.map((l) => /^web app: (http:\S+\/app\/)/.exec(l)?.[1]).find(Boolean);
    assert.ok(app, `the web app's address was printed${output()}`);
    assert.ok(
      lines.some((l) => /^ {4}0x[0-9a-fA-F]{40} {2}private key 0x[0-9a-f]{64}$/.test(l)),
      `demo accounts${output()}`,
    );
    const page = await fetch(app);
    assert.is(page.status, 200);
    assert.match(await page.text(), '<script type="module" src="app.js">');
    proc.kill('SIGINT');
    assert.is(await exited, 0, `exit code${output()}`);
    assert.ok(
      lines.some((l) => l.includes('stopped the gateway')),
      `the gateway it started was stopped${output()}`,
    );
  } finally {
    if (code === undefined) proc.kill('SIGKILL');
  }
});

test.run();
