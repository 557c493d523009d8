// Principals' RSA keys against the test stack's anvil (docs/contracts.md, "The RSA key"): the
// marketplace stores the key's hash and the block of its event; contracts/keys.ts reads the key
// from that one block and refuses any key that does not hash to what is stored.
import { ContractFactory, JsonRpcProvider, type Filter, type FilterByBlockHash, type Log } from 'ethers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attachMarketplace, marketplaceInterface, mined, registerPrincipal } from '../../contracts/client.ts';
import { compileSolidity, pick } from '../../contracts/compile.ts';
import { assertPrincipalKey, readPrincipalKey, rsaKeyHash } from '../../contracts/keys.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { DEFAULT_PARAMS, SAMPLE_RSA_KEY, chainProvider, fundedWallet, newMarketplace } from '../helpers/chain.ts';
import { services } from '../helpers/services.ts';

const provider = chainProvider();
const key = { name: 'p', url: '', email: '', rsaPublicKey: SAMPLE_RSA_KEY };

/** A node that answers eth_getLogs as `edit` says: the RPC (or a gateway relaying) lying about a key. */
class LyingNode extends JsonRpcProvider {
  edit: (logs: Log[]) => Log[] = (logs) => logs;
  getLogsCalls = 0;
  override async getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    this.getLogsCalls++;
    return this.edit(await super.getLogs(filter));
  }
}

function withKey(log: Log, args: unknown[]): Log {
  const { data } = marketplaceInterface.encodeEventLog('PrincipalKeyUpdated', args);
  const { address, topics, blockNumber, transactionHash, index } = log;
  return { address, topics, data, blockNumber, transactionHash, index } as unknown as Log;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.unreachable('expected a failure'),
    (err: unknown) => err,
  );
}

test(
  'readPrincipalKey: the registered PEM, then the new one ' + 'after setRsaPublicKey; one eth_getLogs of one block',
  async () => {
    const { marketplace, address } = await newMarketplace(provider);
    const {
      principal,
      address: p,
      receipt,
    } = await registerPrincipal(marketplace.connect(await fundedWallet(provider)), key);
    const node = new LyingNode(services().rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    assert.is(await readPrincipalKey(node, address, p), SAMPLE_RSA_KEY);
    assert.is(node.getLogsCalls, 1);
    assert.is(Number(await principal.rsaPublicKeyBlock()), receipt.blockNumber);
    await mined(principal.setRsaPublicKey('-----BEGIN PUBLIC KEY-----\nnew\n-----END PUBLIC KEY-----'));
    assert.is(
      await readPrincipalKey(node, address, p.toLowerCase()),
      '-----BEGIN PUBLIC KEY-----\nnew\n-----END PUBLIC KEY-----',
    );
    // No principal, no key, and no log query either.
    assert.is(await readPrincipalKey(node, address, (await fundedWallet(provider)).address), undefined);
    assert.is(node.getLogsCalls, 2);
    node.destroy();
  },
);

test(
  'a key that does not hash to the stored hash is ' + 'CHAIN_KEY_MISMATCH: rewritten, dropped, or handed over',
  async () => {
    const { marketplace, address } = await newMarketplace(provider);
    const { address: p } = await registerPrincipal(marketplace.connect(await fundedWallet(provider)), key);
    const stored = rsaKeyHash(SAMPLE_RSA_KEY);
    const node = new LyingNode(services().rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const evil = SAMPLE_RSA_KEY.replace('u1SU1', 'u1SU2');
    const lies: [string, (logs: Log[]) => Log[]][] = [
      ['another key, the stored hash claimed', (logs) => logs.map((l) => withKey(l, [p, stored, evil]))],
      ['another key with its own hash', (logs) => logs.map((l) => withKey(l, [p, rsaKeyHash(evil), evil]))],
      ['no event at all', () => []],
    ];
    for (const [what, edit] of lies) {
      node.edit = edit;
      const err = await failure(readPrincipalKey(node, address, p));
      assert.ok(isItradeError(err, 'CHAIN_KEY_MISMATCH'), `${what}: ${String(err)}`);
      assert.match((err as Error).message, stored);
    }
    // A key someone hands over (the gateway to a key agent) is checked against the hash alone.
    assert.is(assertPrincipalKey(p, SAMPLE_RSA_KEY, stored), SAMPLE_RSA_KEY);
    const err = await failure(Promise.resolve().then(() => assertPrincipalKey(p, evil, stored)));
    assert.ok(isItradeError(err, 'CHAIN_KEY_MISMATCH'), String(err));
    node.destroy();
  },
);

test('two key changes in one block: the marketplace stores the last, and that is the key read back', async () => {
  const { address } = await newMarketplace(provider);
  const actorArtifact = pick(compileSolidity(['test/contracts/fixtures/Actor.sol']), 'Actor');
  const deployer = await fundedWallet(provider);
  const actor = await new ContractFactory(actorArtifact.abi, actorArtifact.bytecode, deployer).deploy(address);
  await actor.waitForDeployment();
  await mined(actor.getFunction('register')({ value: DEFAULT_PARAMS.dspRegistrationPrice }));
  const receipt = await mined(actor.getFunction('setKeyTwice')('first', 'second'));
  const m = attachMarketplace(address, provider);
  const p = await m.principalOf(await actor.getAddress());
  assert.is(receipt.logs.filter((l) => marketplaceInterface.parseLog(l)?.name === 'PrincipalKeyUpdated').length, 2);
  assert.is(Number((await m.principalInfo(p)).rsaPublicKeyBlock), receipt.blockNumber);
  assert.is(await readPrincipalKey(provider, address, p), 'second');
});

test.after(() => provider.destroy());
test.run();
