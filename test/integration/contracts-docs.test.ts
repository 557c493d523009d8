// docs/contracts.md's sample of reading the chain as the gateway will runs, as printed, against
// a fresh marketplace on the test stack's anvil, and answers what the chain holds.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mined, registerPrincipal, registerSensor, subscribe } from '../../contracts/client.ts';
import { readPrincipalKey } from '../../contracts/keys.ts';
import { batchValidSubscriptions, sensorInfo, validSubscriptions } from '../../contracts/views.ts';
import { fromRoot } from '../../lib/paths.ts';
import { SAMPLE_RSA_KEY, chainProvider, fundedWallet, newMarketplace } from '../helpers/chain.ts';

const provider = chainProvider();

function sample(): string {
  const doc = readFileSync(fromRoot('docs', 'contracts.md'), 'utf8');
  const after = doc.slice(doc.indexOf('Reading the chain as the gateway will'));
  const m = /```ts\n([^]*?)```/.exec(after);
  assert.ok(m, 'the sample is in docs/contracts.md');
  return m[1]!;
}

test(
  'the "reading the chain" sample of docs/contracts.md ' + 'runs and reads the grants, the sensor and the key',
  async () => {
    const { marketplace, address: marketplaceAddress } = await newMarketplace(provider);
    const [seller, buyer] = [await fundedWallet(provider), await fundedWallet(provider)];
    const { principal } = await registerPrincipal(marketplace.connect(seller), {
      name: 's',
      url: '',
      email: '',
      rsaPublicKey: 'k',
    });
    const { address: buyerPrincipal } = await registerPrincipal(marketplace.connect(buyer), {
      name: 'b',
      url: '',
      email: '',
      rsaPublicKey: SAMPLE_RSA_KEY,
    });
    const spec = { sensorType: 0, latitudeE6: 0, longitudeE6: 0, pricePerDataEntry: 2n };
    const [{ sensor: s, address: sensor }, { address: otherSensor }] = [
      await registerSensor(principal, spec),
      await registerSensor(principal, spec),
    ];
    await mined(s.activate());
    await subscribe(s.connect(buyer), buyerPrincipal, { startTimestamp: 0, dataEntries: 40 });
    await subscribe(s.connect(buyer), buyerPrincipal, { startTimestamp: 4_000_000_000, dataEntries: 2 });
    const names = [
      'validSubscriptions',
      'sensorInfo',
      'readPrincipalKey',
      'batchValidSubscriptions',
      'marketplace',
      'marketplaceAddress',
      'provider',
      'buyerPrincipal',
      'sensor',
      'otherSensor',
    ];
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<Record<string, unknown>>;
    const run = new AsyncFunction(...names, `${sample()}\nreturn { grants, entries, info, pem, many };`);
    const r = await run(
      validSubscriptions,
      sensorInfo,
      readPrincipalKey,
      batchValidSubscriptions,
      marketplace,
      marketplaceAddress,
      provider,
      buyerPrincipal,
      sensor,
      otherSensor,
    );
    assert.is((r.grants as unknown[]).length, 2);
    assert.is(r.entries, 40, 'only the started subscription counts');
    assert.is((r.info as { status: string }).status, 'active');
    assert.is(r.pem, SAMPLE_RSA_KEY);
    assert.equal(
      (r.many as unknown[][]).map((g) => g.length),
      [2, 0],
    );
  },
);

test.after(() => provider.destroy());
test.run();
