// An anvil of the test's own, for what must not touch the shared test chain: evm_revert and
// anvil_reorg rewrite the chain every concurrently running test file uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { anvilBinary } from '../../stack/services/chain.ts';
import { freePort } from '../../stack/ports.ts';

export interface PrivateAnvil {
  rpcUrl: string;
  stop(): Promise<void>;
}

export async function privateAnvil(): Promise<PrivateAnvil> {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '31337', '--silent'];
  const child: ChildProcess = spawn(anvilBinary(), args, { stdio: 'ignore' });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (r.ok) break;
    } catch {
      if (i > 300 || child.exitCode !== null) throw new Error('the private anvil did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    rpcUrl,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
