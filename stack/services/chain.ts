// Local Ethereum node: anvil from the npm package @foundry-rs/anvil, with its deterministic
// dev accounts (mnemonic "test test ... junk").
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { itradeError } from '../../protocol/errors.ts';
import { fromRoot } from '../../lib/paths.ts';
import type { LocalService } from './types.ts';

export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'anvil'));
  } catch {
    /* not installed for this platform */
  }
  candidates.push(fromRoot('node_modules', '.bin', 'anvil'));
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw itradeError(
      'STACK_TOOL_MISSING',
      `anvil not found: run npm ci (it comes from the npm package @foundry-rs/anvil, binary ${pkg})`,
    );
  return found;
}

export const chainService: LocalService = {
  name: 'chain',
  marker: () => 'anvil',
  wantedPorts: (cfg) => ({ port: cfg.stack.chain.port }),
  graceMs: 10_000,

  async install() {
    anvilBinary();
  },

  // anvil moves states out of memory into ~/.foundry/anvil/tmp/<instance>/, one JSON file per
  // block, and leaves the folder behind when it is killed: a day of test runs left 74 GB there and
  // filled the disk (2026-12-03). Its home is this service's folder, wiped with the stack, and a
  // dead instance's states (of no use to a new one; --state is the persistence) go at each start.
  async prepare(ctx, ports) {
    mkdirSync(ctx.dir, { recursive: true });
    rmSync(join(ctx.dir, '.foundry', 'anvil', 'tmp'), { recursive: true, force: true });
    const c = ctx.cfg.stack.chain;
    const args = [
      '--host',
      '127.0.0.1',
      '--port',
      String(ports.port),
      '--accounts',
      String(c.accounts),
      '--chain-id',
      String(c.chainId),
      '--balance',
      '1000000',
    ];
    if (c.blockTimeSec > 0) args.push('--block-time', String(c.blockTimeSec));
    if (c.persistState) args.push('--state', join(ctx.dir, 'state.json'), '--state-interval', '5');
    return { cmd: anvilBinary(), args, env: { ...process.env, HOME: ctx.dir } };
  },

  endpoint: (ports) => `http://127.0.0.1:${ports.port}`,
};
