// `npm run bench:gas` end to end on the test stack's anvil: it measures the three marketplaces
// and prints every row with a figure in each column and the goals' verdict. Whether the goals
// are met is the printout's to say, not this test's.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { services } from '../helpers/services.ts';

function run(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-gas.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ITRADE_RPC_URL: services().rpcUrl },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

test('bench:gas prints before / now / full for every call, the goals marked, and a verdict', async () => {
  const { code, out } = await run();
  assert.is(code, 0, out);
  const figure = '\\d{1,3}(,\\d{3})*';
  for (const call of [
    'deploy marketplace \\(once\\)',
    'registerSensor',
    'activate',
    'subscribe \\(again, 10 % overpaid\\)',
    'withdrawFees \\(owner\\)',
  ]) {
    assert.match(out, new RegExp(`^${call} +${figure} +${figure} +${figure} +-?\\d+ %`, 'm'), call);
  }
  for (const call of ['registerDataStreamPrincipal', 'registerSensor', 'subscribe \\(first of the sensor\\)']) {
    assert.match(out, new RegExp(`^${call} .*<= ${figure} (met|NOT MET)$`, 'm'), call);
  }
  assert.match(out, /^code per DataStreamSubscription \(bytes\) +45 +114 +\d+$/m);
  assert.match(out, /^goals: (all \d+ met|\d+ of \d+ met; NOT MET: .+)$/m);
});

test.run();
