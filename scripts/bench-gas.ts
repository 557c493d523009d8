// `npm run bench:gas`: the gas of each user-facing call, measured in this run on one chain from
// transaction receipts, for three marketplaces compiled with the same settings:
//   before          contracts/bench/v1: main before issue 16 (EIP-1167 clones, fields in storage)
//   now             contracts/src: clones with immutable args, state in the marketplace (shipped)
//   full contracts  contracts/bench/DataMarketplaceFull.sol: `now`, but every entity a full copy
// and marks each of issue 16's goals met or not (contracts/bench/report.ts).
//   ITRADE_RPC_URL=http://...  measure on that node (it must accept anvil_setBalance); default:
//                              a private anvil on a free port, stopped at the end.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  Contract,
  ContractFactory,
  Interface,
  JsonRpcProvider,
  Wallet,
  parseEther,
  type ContractTransactionReceipt,
  type InterfaceAbi,
} from 'ethers';
import { goalSummary, renderTable, type Gas } from '../contracts/bench/report.ts';
import {
  compileSolidity,
  marketplaceSources,
  pick,
  type CompiledContract,
  type CompileResult,
} from '../contracts/compile.ts';
import { mined } from '../contracts/client.ts';
import { oneLine } from '../protocol/errors.ts';
import { privateAnvil } from '../stack/private-anvil.ts';

// A real principal: its 2048-bit RSA public key in PEM (450 characters).
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString()
  .trim();
const PRICE = parseEther('0.00001');

async function startAnvil(): Promise<{ url: string; stop?: () => Promise<void> }> {
  if (process.env.ITRADE_RPC_URL) return { url: process.env.ITRADE_RPC_URL };
  const anvil = await privateAnvil();
  return { url: anvil.rpcUrl, stop: anvil.stop };
}

async function wallet(provider: JsonRpcProvider): Promise<Wallet> {
  const w = new Wallet(Wallet.createRandom().privateKey, provider);
  await provider.send('anvil_setBalance', [w.address, '0x' + parseEther('100').toString(16)]);
  return w;
}

/**
 * The two ABIs differ where issue 16 moved a call: v1 registers sensors on the principal and
 * subscribes on the sensor; v2 does both on the marketplace. Everything else is the same call.
 */
class Driver {
  private readonly iface: Interface;
  private market!: Contract;
  constructor(
    private readonly c: { market: CompiledContract; principal: CompiledContract; sensor: CompiledContract },
    private readonly v1: boolean,
  ) {
    this.iface = new Interface(c.market.abi as InterfaceAbi);
  }

  private created(r: ContractTransactionReceipt, event: string, arg: string): string {
    for (const l of r.logs) {
      const e = this.iface.parseLog(l);
      if (e?.name === event) return e.args[arg] as string;
    }
    throw new Error(`no ${event} in ${r.hash}`);
  }

  private at(address: string, c: CompiledContract, w: Wallet): Contract {
    return new Contract(address, c.abi as InterfaceAbi, w);
  }

  async deploy(owner: Wallet): Promise<ContractTransactionReceipt> {
    const d = await new ContractFactory(this.c.market.abi as InterfaceAbi, this.c.market.bytecode, owner).deploy(
      parseEther('0.01'),
      parseEther('0.001'),
      500,
    );
    const r = await mined<ContractTransactionReceipt>(d.deploymentTransaction()!);
    this.market = new Contract(r.contractAddress!, this.c.market.abi as InterfaceAbi, owner);
    return r;
  }

  async registerPrincipal(w: Wallet, name: string): Promise<{ address: string; r: ContractTransactionReceipt }> {
    const m = this.market.connect(w) as Contract;
    const [url, email] = [`https://${name}.example.org`, `ops@${name}.example.org`];
    const r = await mined(
      m.getFunction('registerDataStreamPrincipal')(name, url, email, RSA_PEM, { value: parseEther('0.01') }),
    );
    return { address: this.created(r, 'PrincipalRegistered', 'principal'), r };
  }

  async registerSensor(w: Wallet, principal: string): Promise<{ address: string; r: ContractTransactionReceipt }> {
    const args = [0, 47_376_887, 8_541_694, PRICE, { value: parseEther('0.001') }];
    const r = await mined(
      this.v1
        ? this.at(principal, this.c.principal, w).getFunction('registerSensor')(...args)
        : (this.market.connect(w) as Contract).getFunction('registerSensor')(principal, ...args),
    );
    return { address: this.created(r, 'SensorRegistered', 'sensor'), r };
  }

  activate(w: Wallet, sensor: string): Promise<ContractTransactionReceipt> {
    return mined(this.at(sensor, this.c.sensor, w).getFunction('activate')());
  }

  subscribe(w: Wallet, sensor: string, buyer: string, value = PRICE * 1000n): Promise<ContractTransactionReceipt> {
    const args = [buyer, 1_700_000_000, 1000, { value }];
    return mined(
      this.v1
        ? this.at(sensor, this.c.sensor, w).getFunction('subscribe')(...args)
        : (this.market.connect(w) as Contract).getFunction('subscribe')(sensor, ...args),
    );
  }

  setKey(w: Wallet, principal: string): Promise<ContractTransactionReceipt> {
    return mined(this.at(principal, this.c.principal, w).getFunction('setRsaPublicKey')(RSA_PEM.replace('MII', 'MIJ')));
  }

  withdraw(w: Wallet): Promise<ContractTransactionReceipt> {
    return mined((this.market.connect(w) as Contract).getFunction('withdraw')());
  }

  withdrawFees(owner: Wallet): Promise<ContractTransactionReceipt> {
    return mined(this.market.getFunction('withdrawFees')(owner.address));
  }
}

// One marketplace, one seller with one sensor, two buyers: each user-facing call once. The first
// subscription of a sensor also credits its seller for the first time; the second buyer's is the
// first of its (buyer, sensor) pair only; the next one of the first buyer is neither.
async function scenario(provider: JsonRpcProvider, d: Driver): Promise<Gas> {
  const gas: Gas = new Map();
  const add = (k: string, r: ContractTransactionReceipt) => gas.set(k, r.gasUsed);
  const [owner, seller, buyer, buyer2] = [
    await wallet(provider),
    await wallet(provider),
    await wallet(provider),
    await wallet(provider),
  ];
  add('deploy marketplace (once)', await d.deploy(owner));
  const s = await d.registerPrincipal(seller, 'seller');
  add('registerDataStreamPrincipal', s.r);
  const b = await d.registerPrincipal(buyer, 'buyer');
  const b2 = await d.registerPrincipal(buyer2, 'buyer2');
  const sensor = await d.registerSensor(seller, s.address);
  add('registerSensor', sensor.r);
  add('activate', await d.activate(seller, sensor.address));
  add('subscribe (first of the sensor)', await d.subscribe(buyer, sensor.address, b.address));
  add('subscribe (another buyer of it)', await d.subscribe(buyer2, sensor.address, b2.address));
  add('subscribe (again, 10 % overpaid)', await d.subscribe(buyer, sensor.address, b.address, PRICE * 1100n));
  add('setRsaPublicKey', await d.setKey(seller, s.address));
  add('withdraw (seller)', await d.withdraw(seller));
  add('withdrawFees (owner)', await d.withdrawFees(owner));
  return gas;
}

const runtimeBytes = (c: CompiledContract) => (c.deployedBytecode.length - 2) / 2;

/** Code per entity: 45-byte proxy + its fields (clones), or the implementation + its fields (full). */
function codeRows(now: CompileResult): string[][] {
  // Fields: owner 20 + the scenario's name/url/email + 3 lengths; sensor 14; subscription 69.
  const principalFields =
    20 + 'seller'.length + 'https://seller.example.org'.length + 'ops@seller.example.org'.length + 3;
  const fields: [string, number][] = [
    ['DataStreamPrincipal', principalFields],
    ['Sensor', 14],
    ['DataStreamSubscription', 69],
  ];
  return fields.map(([name, f]) => [
    `code per ${name} (bytes)`,
    '45',
    String(45 + f),
    String(runtimeBytes(pick(now, name)) + f),
  ]);
}

async function main(): Promise<void> {
  const v1 = compileSolidity(
    readdirSync('contracts/bench/v1')
      .filter((f) => f.endsWith('.sol'))
      .map((f) => `contracts/bench/v1/${f}`),
  );
  const now = compileSolidity([...marketplaceSources(), 'contracts/bench/DataMarketplaceFull.sol']);
  const parts = (r: CompileResult, market: string) => ({
    market: pick(r, market),
    principal: pick(r, 'DataStreamPrincipal'),
    sensor: pick(r, 'Sensor'),
  });
  const { url, stop } = await startAnvil();
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 50;
  try {
    const before = await scenario(provider, new Driver(parts(v1, 'DataMarketplace'), true));
    const clones = await scenario(provider, new Driver(parts(now, 'DataMarketplace'), false));
    const full = await scenario(provider, new Driver(parts(now, 'DataMarketplaceFull'), false));
    console.log(`solc ${now.solcVersion}, optimizer 200 runs, cancun; ${url}; RSA key ${RSA_PEM.length} chars\n`);
    console.log(renderTable({ before, now: clones, full }, codeRows(now)));
    console.log(`\n${goalSummary(clones)}`);
  } finally {
    provider.destroy();
    await stop?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`bench:gas: ${oneLine(err)}`);
    process.exitCode = 1;
  });
}
