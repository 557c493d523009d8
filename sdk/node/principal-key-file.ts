// A principal's RSA private key in an owner-only PEM file (PKCS#8, "BEGIN PRIVATE KEY"; a PKCS#1
// "BEGIN RSA PRIVATE KEY" file is read too). Refused when group or others can read it, the way
// ssh refuses an unprotected private key.
import { PrincipalKey } from '../crypto/rsa.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';

export function loadPrincipalKey(path: string): Promise<PrincipalKey> {
  return PrincipalKey.fromPem(readSecretFile(path).toString('utf8'), `private key file ${path}`);
}

/** Writes the private key (PKCS#8 PEM) with mode 0600; never overwrites an existing file. */
export function savePrincipalKey(key: PrincipalKey, path: string): void {
  writeSecretFile(path, key.privateKeyPem(), { exclusive: true });
}
