// The chain service keeps anvil's on-disk state cache inside the stack, and drops a dead
// instance's cache at each start (a day of runs once left 74 GB in ~/.foundry/anvil/tmp).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chainService } from '../../stack/services/chain.ts';
import { validateConfig } from '../../config/load.ts';
import { createLogger } from '../../lib/log.ts';

test("anvil's home is the service folder, and a dead instance's state cache is gone at start", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-chain-'));
  try {
    const old = join(dir, '.foundry', 'anvil', 'tmp', 'anvil-state-dead');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, '0xabc.json'), '{}');
    const ctx = { cfg: validateConfig({}, 'test', { env: {} }), dir, log: createLogger({ level: 'silent' }) };
    const spec = await chainService.prepare(ctx, { port: 0 });
    assert.is(spec.env?.HOME, dir);
    assert.is(spec.env?.PATH, process.env.PATH, 'the rest of the environment is kept');
    assert.not.ok(existsSync(old));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
