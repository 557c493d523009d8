import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyrings } from '../../sdk/crypto/keyring.ts';
import { KeyringFolder } from '../../sdk/node/keyring-folder.ts';
import { keyringStoreContract } from './keyring-store.contract.ts';

const dirs: string[] = [];
keyringStoreContract('MemoryKeyrings', () => new MemoryKeyrings());
const suite = keyringStoreContract('KeyringFolder', () => {
  const d = mkdtempSync(join(tmpdir(), 'itrade-store-'));
  dirs.push(d);
  return new KeyringFolder(d);
});
suite.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
suite.run();
