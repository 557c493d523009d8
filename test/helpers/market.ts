// A fresh marketplace on the test stack's anvil, with fresh funded wallets (no shared nonces
// between test files): a seller principal with sensors, buyer principals, subscriptions.
import { JsonRpcProvider, Wallet, toBeHex, parseEther, type Signer } from 'ethers';
import {
  attachSensor,
  deployMarketplace,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
  type MarketplaceContract,
} from '../../contracts/client.ts';

export interface Account {
  wallet: Wallet;
  principal: string; // lower-case
}

export class Market {
  private constructor(
    readonly provider: JsonRpcProvider,
    readonly owner: Wallet,
    readonly marketplace: MarketplaceContract,
    readonly address: string,
    readonly deployBlock: number,
  ) {}

  static async deploy(rpcUrl: string): Promise<Market> {
    // ethers polls for a receipt every 4 s when it is not there at once, which is the rule on
    // the suite's busy anvil: 26 transactions of one test's set-up took 97 s.
    const options = { batchMaxCount: 1, cacheTimeout: -1, pollingInterval: 50 };
    const provider = new JsonRpcProvider(rpcUrl, undefined, options);
    const owner = await fundedWallet(provider);
    const d = await deployMarketplace(owner, {
      dspRegistrationPrice: 1000n,
      sensorRegistrationPrice: 100n,
      commissionBps: 500,
    });
    return new Market(provider, owner, d.marketplace, d.address.toLowerCase(), d.blockNumber);
  }

  async principal(name: string): Promise<Account> {
    const wallet = await fundedWallet(this.provider);
    const m = this.marketplace.connect(wallet) as MarketplaceContract;
    const { address } = await registerPrincipal(m, {
      name,
      url: 'https://example.org',
      email: `${name}@example.org`,
      rsaPublicKey: 'rsa',
    });
    return { wallet, principal: address.toLowerCase() };
  }

  /** Registers (and by default activates) a sensor of `seller`; returns its address and tx hash. */
  async sensor(seller: Account, activate = true): Promise<{ sensor: string; txHash: string }> {
    const { attachPrincipal } = await import('../../contracts/client.ts');
    const p = attachPrincipal(seller.principal, seller.wallet);
    const { address, receipt } = await registerSensor(p, {
      sensorType: 0,
      latitudeE6: 47_000_000,
      longitudeE6: 8_000_000,
      pricePerDataEntry: 10n,
    });
    if (activate) await mined(attachSensor(address, seller.wallet).activate());
    return { sensor: address.toLowerCase(), txHash: receipt.hash };
  }

  async subscribe(buyer: Account, sensor: string, dataEntries: number, startTimestamp = 0): Promise<string> {
    const s = attachSensor(sensor, buyer.wallet);
    const { address } = await subscribe(s, buyer.principal, { startTimestamp, dataEntries });
    return address.toLowerCase();
  }

  async deactivate(seller: Account, sensor: string): Promise<void> {
    await mined(attachSensor(sensor, seller.wallet).deactivate());
  }

  async block(sensor: string): Promise<void> {
    await mined((this.marketplace.connect(this.owner) as MarketplaceContract).blockSensor(sensor));
  }

  close(): void {
    this.provider.destroy();
  }
}

export async function fundedWallet(provider: JsonRpcProvider): Promise<Wallet> {
  const w = Wallet.createRandom().connect(provider);
  await provider.send('anvil_setBalance', [w.address, toBeHex(parseEther('100'))]);
  return w as unknown as Wallet;
}

export type { Signer };
