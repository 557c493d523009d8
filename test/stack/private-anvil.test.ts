// A private anvil answers on its own port with the test chain id, keeps its state cache in a home of
// its own, and stop() ends the process and removes that home (nothing left in ~/.foundry).
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { privateAnvil } from '../../stack/private-anvil.ts';

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return ((await r.json()) as { result: unknown }).result;
}

test('answers with chain 31337, mines, and stop() leaves neither process nor home behind', async () => {
  const anvil = await privateAnvil();
  try {
    assert.is(await rpc(anvil.rpcUrl, 'eth_chainId'), '0x7a69');
    await rpc(anvil.rpcUrl, 'anvil_mine', ['0x3']);
    assert.is(await rpc(anvil.rpcUrl, 'eth_blockNumber'), '0x3');
    assert.ok(existsSync(anvil.home));
  } finally {
    await anvil.stop();
  }
  assert.not.ok(existsSync(anvil.home));
  const refused = await rpc(anvil.rpcUrl, 'eth_chainId').then(
    () => false,
    () => true,
  );
  assert.ok(refused, 'the port still answers after stop()');
  await anvil.stop(); // twice is harmless
});

test.run();
