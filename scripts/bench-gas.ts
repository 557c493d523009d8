// `npm run bench:gas`: the gas of each user-facing call with entities as EIP-1167 clones (the
// DataMarketplace we ship) and, side by side, as full contracts deployed with `new`
// (contracts/bench/DataMarketplaceFull.sol: the same code otherwise). Both are compiled in this
// run with the same settings and measured on the same chain, from transaction receipts.
//   ITRADE_RPC_URL=http://...  measure on that node (it must accept anvil_setBalance); default:
//                              a private anvil on a free port, stopped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContractFactory, JsonRpcProvider, Wallet, parseEther, type ContractTransactionReceipt } from 'ethers';
import {
  attachMarketplace,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
  type MarketplaceContract,
} from '../contracts/client.ts';
import { compileSolidity, marketplaceSources, pick, type CompileResult } from '../contracts/compile.ts';
import { oneLine } from '../protocol/errors.ts';
import { freePort } from '../stack/ports.ts';
import { anvilBinary } from '../stack/services/chain.ts';

type Gas = Map<string, bigint>;

// A real principal: its 2048-bit RSA public key in PEM (451 characters) dominates what it stores.
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString()
  .trim();
const details = (name: string) => ({
  name,
  url: `https://${name}.example.org`,
  email: `ops@${name}.example.org`,
  rsaPublicKey: RSA_PEM,
});

async function startAnvil(): Promise<{ url: string; child?: ChildProcess }> {
  if (process.env.ITRADE_RPC_URL) return { url: process.env.ITRADE_RPC_URL };
  const port = await freePort();
  const child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child };
    await sleep(100);
  }
  child.kill();
  throw new Error(`anvil did not answer on ${url}`);
}

async function wallet(provider: JsonRpcProvider): Promise<Wallet> {
  const w = new Wallet(Wallet.createRandom().privateKey, provider);
  await provider.send('anvil_setBalance', [w.address, '0x' + parseEther('100').toString(16)]);
  return w;
}

// One marketplace, one seller with one sensor, one buyer: each user-facing call once (subscribe
// twice: the first subscription of a sensor also creates its list's length slot).
async function scenario(provider: JsonRpcProvider, result: CompileResult, contract: string): Promise<Gas> {
  const gas: Gas = new Map();
  const add = (k: string, r: ContractTransactionReceipt | null) => gas.set(k, r!.gasUsed);
  const [owner, seller, buyer] = [await wallet(provider), await wallet(provider), await wallet(provider)];
  const c = pick(result, contract);
  const deployed = await new ContractFactory(c.abi, c.bytecode, owner).deploy(
    parseEther('0.01'),
    parseEther('0.001'),
    500,
  );
  add('deploy marketplace (once)', await deployed.deploymentTransaction()!.wait());
  const m: MarketplaceContract = attachMarketplace(await deployed.getAddress(), owner);
  const s = await registerPrincipal(m.connect(seller), details('seller'));
  add('registerDataStreamPrincipal', s.receipt);
  const b = await registerPrincipal(m.connect(buyer), details('buyer'));
  const { sensor, receipt } = await registerSensor(s.principal, {
    sensorType: 0,
    latitudeE6: 47_376_887,
    longitudeE6: 8_541_694,
    pricePerDataEntry: parseEther('0.00001'),
  });
  add('registerSensor', receipt);
  add('activate', await mined(sensor.activate()));
  add(
    'subscribe (first of the sensor)',
    (await subscribe(sensor.connect(buyer), b.address, { startTimestamp: 1_700_000_000, dataEntries: 1000 })).receipt,
  );
  add(
    'subscribe (next, 10 % overpaid)',
    (
      await subscribe(sensor.connect(buyer), b.address, {
        startTimestamp: 1_700_000_000,
        dataEntries: 1000,
        value: parseEther('0.011'),
      })
    ).receipt,
  );
  add('withdraw (seller)', await mined(m.connect(seller).withdraw()));
  add('withdrawFees (owner)', await mined(m.withdrawFees(owner.address)));
  return gas;
}

function table(clones: Gas, full: Gas, result: CompileResult): string {
  const rows = [['call', 'gas, clones', 'gas, full contracts', 'saved']];
  for (const [k, g] of clones) {
    const f = full.get(k)!;
    rows.push([k, String(g), String(f), `${((Number(f - g) / Number(f)) * 100).toFixed(0)} %`]);
  }
  rows.push(['', '', '', '']);
  for (const name of ['DataStreamPrincipal', 'Sensor', 'DataStreamSubscription']) {
    rows.push([`code per ${name} (bytes)`, '45', String((pick(result, name).deployedBytecode.length - 2) / 2), '']);
  }
  const width = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const result = compileSolidity([...marketplaceSources(), 'contracts/bench/DataMarketplaceFull.sol']);
  const { url, child } = await startAnvil();
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const clones = await scenario(provider, result, 'DataMarketplace');
    const full = await scenario(provider, result, 'DataMarketplaceFull');
    console.log(`solc ${result.solcVersion}, optimizer 200 runs, cancun; ${url}; RSA key ${RSA_PEM.length} chars\n`);
    console.log(table(clones, full, result));
  } finally {
    provider.destroy();
    child?.kill();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:gas: ${oneLine(err)}`);
  process.exitCode = 1;
});
