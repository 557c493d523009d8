// The SDK for Node.js: everything of sdk/index.ts, plus what needs a file system. Key files and
// private key files are owner-only (mode 0600), written atomically, refused when others can read
// them. A browser bundle takes sdk/index.ts and never sees this.
export * from './index.ts';
export { KeyringFolder, readKeyringFile, writeKeyringFile } from './node/keyring-folder.ts';
export { loadPrincipalKey, savePrincipalKey } from './node/principal-key-file.ts';
export { readSecretFile, writeSecretFile } from './node/secret-file.ts';
export { openEnvelopeSync, sealEnvelopeSync } from './node/envelope-sync.ts';
