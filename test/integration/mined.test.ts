// mined() on a chain that makes no block after the transaction's (anvil's automine): ethers 6's
// wait() reads the receipt once, then waits for "block" events from a head poller whose first poll
// only notes the head, so a transaction mined between the two is noticed at the next block, never
// on a quiet chain. The race is made certain here (LateReceipt). The canary fails when ethers
// stops missing it.
import { ContractFactory, JsonRpcProvider, Wallet, isError } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mined } from '../../contracts/client.ts';
import { ANVIL_DEV_KEY } from '../../contracts/deploy.ts';
import { DataMarketplaceAbi, DataMarketplaceBytecode } from '../../contracts/generated/DataMarketplace.ts';
import { privateAnvil, type PrivateAnvil } from '../../stack/private-anvil.ts';

/**
 * wait() reads the receipt, then subscribes: the subscriber reads it again and the head poller
 * notes the head, at once. Here both receipt reads answer null and the block is mined just before
 * the head is first read: the race anvil's asynchronous mining runs under load.
 */
class LateReceipt extends JsonRpcProvider {
  private reads = 0;
  private mined = false;
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    if (method === 'eth_getTransactionReceipt' && ++this.reads <= 2) return null;
    if (method === 'eth_blockNumber' && this.reads === 2 && !this.mined) {
      this.mined = true;
      await super.send('evm_mine', []);
    }
    return super.send(method, params);
  }
}

let anvil: PrivateAnvil;

test.before(async () => {
  anvil = await privateAnvil();
});

test.after(async () => {
  await anvil?.stop();
});

/** A deployment left pending (automine off), on a provider that polls the head every 100 ms. */
async function pendingDeploy() {
  const provider = new LateReceipt(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 100;
  await provider.send('evm_setAutomine', [false]);
  const factory = new ContractFactory(DataMarketplaceAbi, DataMarketplaceBytecode, new Wallet(ANVIL_DEV_KEY, provider));
  const contract = await factory.deploy(1000n, 100n, 500);
  return { provider, tx: contract.deploymentTransaction()! };
}

test('canary: ethers 6 wait() misses a transaction mined just before its head poller starts', async () => {
  const { provider, tx } = await pendingDeploy();
  try {
    const outcome = await tx.wait(1, 3000).then(
      () => 'mined',
      (err: unknown) => (isError(err, 'TIMEOUT') ? 'timeout' : String(err)),
    );
    assert.is(outcome, 'timeout', 'ethers now sees it: mined() can go back to a plain wait()');
  } finally {
    provider.destroy();
  }
});

test('mined() returns the receipt all the same', async () => {
  const { provider, tx } = await pendingDeploy();
  try {
    const receipt = await mined(tx, 500);
    assert.is(receipt.hash, tx.hash);
    assert.is(receipt.status, 1);
    assert.ok(receipt.contractAddress);
  } finally {
    provider.destroy();
  }
});

test.run();
