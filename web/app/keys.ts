// What the browser keeps, and only the browser: the principal's RSA private key (generated here
// with Web Crypto; its public half goes on chain) and the sensors' data keys (a seller's own, a
// buyer's received ones), in localStorage under this origin. The backup is a file the person
// downloads and imports again; neither ever goes to the gateway.
import { Keyring, PrincipalKey, type KeyringStore } from '../../sdk/index.ts';
import { itradeError } from '../../protocol/errors.ts';

const keyName = (account: string) => `itrade:principal-key:${account.toLowerCase()}`;

export function storedPrincipalPem(account: string): string | undefined {
  return localStorage.getItem(keyName(account)) ?? undefined;
}

export async function principalKey(account: string): Promise<PrincipalKey> {
  const pem = storedPrincipalPem(account);
  if (!pem) throw itradeError('WEB_KEY_MISSING', `no private key of ${account} in this browser`);
  return PrincipalKey.fromPem(pem);
}

/** A new key pair for `account`, kept in this browser; returns its public key (PEM) for the chain. */
export async function newPrincipalKey(account: string): Promise<string> {
  const key = await PrincipalKey.generate();
  localStorage.setItem(keyName(account), key.privateKeyPem());
  return key.publicKeyPem();
}

/** Restores a backup file's text (the PEM); checks it parses first. */
export async function importPrincipalKey(account: string, pem: string): Promise<void> {
  await PrincipalKey.fromPem(pem);
  localStorage.setItem(keyName(account), pem.trim() + '\n');
}

/** Data keys of sensors in localStorage: `role` keeps a seller's own keys apart from received ones. */
export class LocalKeyrings implements KeyringStore {
  constructor(private readonly role: 'seller' | 'buyer') {}

  private name(sensor: string): string {
    return `itrade:keyring:${this.role}:${sensor.toLowerCase()}`;
  }

  load(sensor: string): Keyring | undefined {
    const text = localStorage.getItem(this.name(sensor));
    return text ? Keyring.fromJson(text, this.name(sensor)) : undefined;
  }

  save(ring: Keyring): void {
    localStorage.setItem(this.name(ring.sensor), ring.toJson());
  }
}

/** Offers `text` as a file download named `name`. */
export function download(name: string, text: string, type = 'text/plain'): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
