// The committed contracts/generated/*.ts are exactly what contracts/src/*.sol compile to, the
// sources compile without a warning, and the bytecode fits the chain's size limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ARTIFACTS, renderArtifacts, staleArtifacts } from '../../contracts/build.ts';
import { compileSolidity, marketplaceSources, pick } from '../../contracts/compile.ts';
import { DataMarketplaceBytecode } from '../../contracts/generated/index.ts';
import { isItradeError } from '../../protocol/errors.ts';

const result = compileSolidity(marketplaceSources());

test('the committed generated files match a fresh compilation of the sources', () => {
  assert.equal(
    staleArtifacts(renderArtifacts(result)),
    [],
    'stale: run npm run build:contracts and commit contracts/generated/',
  );
  assert.is(DataMarketplaceBytecode, pick(result, 'DataMarketplace').bytecode);
});

// solc advises once wherever assembly uses TSTORE (EIP-1153 composability). Our one use is the
// entity-code buffer in MarketplaceState._deploy, written and cleared again within that call
// (docs/contracts.md, "One address per entity"); any other warning, or that one elsewhere, fails.
const TSTORE_ADVICE =
  /^Warning: Transient storage as defined by EIP-1153 [^]*--> contracts\/src\/MarketplaceState\.sol:\d+:\d+:/;

test("the sources compile without warnings, but solc's EIP-1153 advice on the entity-code buffer", () => {
  assert.equal(
    result.warnings.filter((w) => !TSTORE_ADVICE.test(w)),
    [],
  );
  assert.ok(result.warnings.length <= 1, result.warnings.join('\n'));
});

test('every ABI decodes every marketplace error, wherever in a call chain it was raised', () => {
  const errorsOf = (name: string) =>
    pick(result, name)
      .abi.filter((i) => i.type === 'error')
      .map((i) => i.name)
      .sort();
  const all = errorsOf('DataMarketplace');
  assert.ok(all.includes('ReentrantCall') && all.includes('NotPrincipalOwner'));
  for (const a of ARTIFACTS) assert.equal(errorsOf(a.name), all, a.name);
});

test('sizes: creation code within EIP-3860 (49152 bytes), runtime code within EIP-170 (24576 bytes)', () => {
  for (const name of ['DataMarketplace', 'DataStreamPrincipal', 'Sensor', 'DataStreamSubscription']) {
    const c = pick(result, name);
    assert.ok((c.bytecode.length - 2) / 2 <= 49152, `${name} creation code ${(c.bytecode.length - 2) / 2} bytes`);
    assert.ok(
      (c.deployedBytecode.length - 2) / 2 <= 24576,
      `${name} runtime ${(c.deployedBytecode.length - 2) / 2} bytes`,
    );
  }
});

test('a compile error is one CHAIN_COMPILE error quoting solc', () => {
  try {
    compileSolidity(['test/contracts/fixtures/Broken.sol']);
    assert.unreachable('compiled');
  } catch (err) {
    assert.ok(isItradeError(err, 'CHAIN_COMPILE'), String(err));
    assert.match((err as Error).message, /Broken\.sol/);
  }
});

test.run();
