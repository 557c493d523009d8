// A profile: everything one market participant (a seller, a buyer, or both) keeps locally, in one
// owner-only folder, so the simulator and the `itrade` commands can pick up where they left off.
//
//   <profile>/profile.json     account, principal, tokens, own sensors, subscriptions (0600)
//   <profile>/principal.pem    the principal's RSA private key (0600); the public half is on chain
//   <profile>/sensor-keys/     the seller's sensor keyrings, one <sensor>.json each (0600)
//   <profile>/bought-keys/     sensor keys received through the key exchange (0600)
//
// The account key is kept in the file only for accounts the tooling created itself (local dev
// chains); an account of your own stays in the environment variable it came from.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, type Provider } from 'ethers';
import { itradeError } from '../protocol/errors.ts';
import {
  KeyringFolder,
  loadPrincipalKey,
  readSecretFile,
  writeSecretFile,
  type IssuedToken,
  type PrincipalKey,
} from '../sdk/node.ts';

export const PROFILE_FORMAT = 'itrade-profile/1';

export interface SensorRecord {
  sensor: string;
  sensorType: number;
  latitudeE6: number;
  longitudeE6: number;
  /** Wei per data entry, decimal. */
  price: string;
  /** The registration transaction: proof for the gateway's activation endpoint. */
  txHash: string;
  token?: IssuedToken;
}

export interface SubscriptionRecord {
  subscription: string;
  sensor: string;
  startTimestamp: number;
  dataEntries: number;
  /** Wei paid, decimal. */
  paid: string;
  boughtAt: number;
}

export interface ProfileData {
  format: typeof PROFILE_FORMAT;
  name: string;
  chainId: number;
  marketplace: string;
  account: { address: string; privateKey?: string; keyEnv?: string };
  principal?: string;
  principalToken?: IssuedToken;
  sensors: Record<string, SensorRecord>;
  subscriptions: SubscriptionRecord[];
}

export interface ProfileInit {
  name: string;
  chainId: number;
  marketplace: string;
  /** An existing account key from this environment variable; otherwise a new random account. */
  keyEnv?: string;
  env?: NodeJS.ProcessEnv;
}

function invalid(dir: string, why: string): never {
  throw itradeError('SIM_PROFILE', `profile ${dir}: ${why}`);
}

export class Profile {
  private constructor(
    readonly dir: string,
    readonly data: ProfileData,
  ) {}

  static file(dir: string): string {
    return join(dir, 'profile.json');
  }

  static exists(dir: string): boolean {
    return existsSync(Profile.file(dir));
  }

  static load(dir: string): Profile {
    if (!Profile.exists(dir)) invalid(dir, 'no profile.json here (create one with `itrade principal register`)');
    let data: ProfileData;
    try {
      data = JSON.parse(readSecretFile(Profile.file(dir)).toString('utf8')) as ProfileData;
    } catch (err) {
      if (err instanceof SyntaxError) invalid(dir, 'profile.json is not JSON');
      throw err;
    }
    if (data?.format !== PROFILE_FORMAT || typeof data.account?.address !== 'string')
      invalid(dir, `profile.json is not an ${PROFILE_FORMAT} file`);
    data.sensors ??= {};
    data.subscriptions ??= [];
    return new Profile(dir, data);
  }

  /** A new profile with an account (random, or the key in `keyEnv`); never overwrites one. */
  static create(dir: string, init: ProfileInit): Profile {
    if (Profile.exists(dir)) invalid(dir, 'a profile exists here already');
    const env = init.env ?? process.env;
    let account: ProfileData['account'];
    if (init.keyEnv && env[init.keyEnv]) {
      account = { address: new Wallet(env[init.keyEnv]!).address.toLowerCase(), keyEnv: init.keyEnv };
    } else {
      const w = Wallet.createRandom();
      account = { address: w.address.toLowerCase(), privateKey: w.privateKey };
    }
    const p = new Profile(dir, {
      format: PROFILE_FORMAT,
      name: init.name,
      chainId: init.chainId,
      marketplace: init.marketplace.toLowerCase(),
      account,
      sensors: {},
      subscriptions: [],
    });
    p.save();
    return p;
  }

  /** Refuses a profile made for another chain or marketplace (a reset chain reuses addresses). */
  checkMarket(chainId: number, marketplace: string): this {
    if (this.data.chainId !== chainId || this.data.marketplace !== marketplace.toLowerCase()) {
      throw itradeError(
        'SIM_STATE_STALE',
        `profile ${this.dir} belongs to marketplace ${this.data.marketplace} on chain ${this.data.chainId}, not ` +
          `${marketplace.toLowerCase()} on chain ${chainId}`,
      );
    }
    return this;
  }

  get address(): string {
    return this.data.account.address;
  }

  wallet(provider: Provider, env: NodeJS.ProcessEnv = process.env): Wallet {
    const a = this.data.account;
    const key = a.privateKey ?? (a.keyEnv ? env[a.keyEnv] : undefined);
    if (!key) invalid(this.dir, `the account key comes from $${a.keyEnv}, which is not set`);
    const w = new Wallet(key, provider);
    if (w.address.toLowerCase() !== a.address)
      invalid(this.dir, `$${a.keyEnv} holds the key of ${w.address}, not of ${a.address}`);
    return w;
  }

  /** The principal address; SIM_PROFILE when none is registered yet. */
  principal(): string {
    if (!this.data.principal) invalid(this.dir, 'no principal registered yet (run `itrade principal register`)');
    return this.data.principal;
  }

  get principalKeyFile(): string {
    return join(this.dir, 'principal.pem');
  }

  hasPrincipalKey(): boolean {
    return existsSync(this.principalKeyFile);
  }

  principalKey(): Promise<PrincipalKey> {
    return loadPrincipalKey(this.principalKeyFile);
  }

  /** The seller's sensor keyrings (the device gets a copy of its sensor's file). */
  sellerKeys(): KeyringFolder {
    return new KeyringFolder(join(this.dir, 'sensor-keys'));
  }

  /** Keys received through the key exchange, as a buyer. */
  buyerKeys(): KeyringFolder {
    return new KeyringFolder(join(this.dir, 'bought-keys'));
  }

  sensor(sensor: string): SensorRecord {
    const r = this.data.sensors[sensor.toLowerCase()];
    if (!r) invalid(this.dir, `sensor ${sensor.toLowerCase()} was not registered from this profile`);
    return r;
  }

  subscriptionsTo(sensor: string): SubscriptionRecord[] {
    return this.data.subscriptions.filter((s) => s.sensor === sensor.toLowerCase());
  }

  save(): void {
    writeSecretFile(Profile.file(this.dir), `${JSON.stringify(this.data, null, 2)}\n`);
  }
}

/** A token still good for at least `marginSec`. */
export function fresh(
  t: IssuedToken | undefined,
  marginSec: number,
  nowSec = Math.floor(Date.now() / 1000),
): t is IssuedToken {
  return t !== undefined && t.expiresAt - nowSec >= marginSec;
}
