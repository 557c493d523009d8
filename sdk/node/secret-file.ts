// Files that hold secrets (sensor keyrings, RSA private keys): written owner-only (0600) and
// atomically (temp file + rename, so a crash never leaves half a key file), and refused on read
// when group or others can access them, the way ssh refuses an unprotected private key.
import {
  chmodSync,
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { itradeError } from '../../protocol/errors.ts';

export const SECRET_FILE_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

const checksPermissions = process.platform !== 'win32'; // no POSIX modes there

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** Reads a secret file; CRYPTO_KEYFILE_PERMISSIONS when group/others have any access to it. */
export function readSecretFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw itradeError('CRYPTO_KEYFILE_INVALID', `cannot open key file ${path}`, { cause });
  }
  try {
    // fstat on the open descriptor: the file checked is the file read.
    const { mode } = fstatSync(fd);
    if (checksPermissions && (mode & 0o077) !== 0) {
      throw itradeError(
        'CRYPTO_KEYFILE_PERMISSIONS',
        `key file ${path} has mode ${octal(mode)}: only its owner may access it (run: chmod 600 ${path})`,
      );
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a secret file with mode 0600 (the umask can only take bits away from it), replacing an
 * existing file atomically. With `exclusive`, an existing file is an error, never overwritten.
 */
export function writeSecretFile(path: string, data: string | Buffer, opts: { exclusive?: boolean } = {}): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: SECRET_DIR_MODE });
    const fd = openSync(tmp, 'wx', SECRET_FILE_MODE);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (checksPermissions) chmodSync(tmp, SECRET_FILE_MODE);
    // link() fails when the target exists, rename() replaces it: both are atomic.
    if (opts.exclusive) linkSync(tmp, path);
    else renameSync(tmp, path);
  } catch (cause) {
    const exists = (cause as NodeJS.ErrnoException).code === 'EEXIST';
    throw itradeError(
      'CRYPTO_KEYFILE_INVALID',
      exists ? `key file ${path} already exists; refusing to overwrite a key` : `cannot write key file ${path}`,
      { cause },
    );
  } finally {
    rmSync(tmp, { force: true }); // gone already after a rename
  }
}
