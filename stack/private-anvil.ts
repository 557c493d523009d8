// A short-lived anvil of a caller's own, beside the stack's: for what must not touch a shared chain
// (evm_revert and anvil_reorg rewrite the chain every concurrently running test file uses) and for
// the gas benchmark. Its home is a temporary folder removed at stop(): anvil keeps states moved out
// of memory under ~/.foundry/anvil/tmp/ and leaves them there when it dies (stack/services/chain.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rpcChainId } from '../lib/probes.ts';
import { anvilBinary } from './services/chain.ts';
import { freePort } from './ports.ts';

export interface PrivateAnvil {
  rpcUrl: string;
  /** Its HOME, where it keeps states moved out of memory; removed by stop(). */
  home: string;
  stop(): Promise<void>;
}

/** Starts anvil on a free port (chain id 31337) and resolves once it answers eth_chainId. */
export async function privateAnvil(startTimeoutMs = 30_000): Promise<PrivateAnvil> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'itrade-anvil-'));
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '31337', '--silent'];
  const child = spawn(anvilBinary(), args, { stdio: 'ignore', env: { ...process.env, HOME: home } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  };
  const deadline = Date.now() + startTimeoutMs;
  const answers = () =>
    rpcChainId(rpcUrl, 1000).then(
      () => true,
      () => false,
    );
  while (!(await answers())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the private anvil did not answer on ${rpcUrl}`);
    }
    await sleep(100);
  }
  return { rpcUrl, home, stop };
}
