// A folder of keyrings, one owner-only `<sensor>.json` per sensor (docs/envelope.md, "Key
// files"): the seller's key files, the device's copy, the keys a buyer received. load() reloads a
// file another process changed (the seller rotating with the CLI while the key agent and the
// device run); every save writes a new file and renames it in (sdk/node/secret-file.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { itradeError } from '../../protocol/errors.ts';
import { addressBytes } from '../crypto/envelope.ts';
import { Keyring, type KeyEntry, type KeyringStore } from '../crypto/keyring.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';

/** Reads one key file, refusing one that group or others can read (CRYPTO_KEYFILE_PERMISSIONS). */
export function readKeyringFile(path: string): Keyring {
  return Keyring.fromJson(readSecretFile(path).toString('utf8'), path);
}

/** Writes one key file (mode 0600, atomically); with `exclusive`, never over an existing file. */
export function writeKeyringFile(path: string, ring: Keyring, opts: { exclusive?: boolean } = {}): void {
  writeSecretFile(path, ring.toJson(), opts);
}

/** Identity of a file version: every save renames a new file in, so the inode changes. */
function version(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

export class KeyringFolder implements KeyringStore {
  readonly dir: string;
  private readonly loaded = new Map<string, { ring: Keyring; version: string }>();

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(sensor: string): string {
    addressBytes(sensor);
    return join(this.dir, `${sensor.toLowerCase()}.json`);
  }

  has(sensor: string): boolean {
    return existsSync(this.pathOf(sensor));
  }

  sensors(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => /^0x[0-9a-f]{40}\.json$/.test(f))
      .map((f) => f.slice(0, -5))
      .sort();
  }

  load(sensor: string): Keyring | undefined {
    const path = this.pathOf(sensor);
    let v: string;
    try {
      v = version(path);
    } catch {
      return undefined;
    }
    const hit = this.loaded.get(path);
    if (hit && hit.version === v) return hit.ring;
    const ring = readKeyringFile(path);
    if (ring.sensor !== sensor.toLowerCase())
      throw itradeError('CRYPTO_KEYFILE_INVALID', `key file ${path}: belongs to sensor ${ring.sensor}`);
    this.loaded.set(path, { ring, version: v });
    return ring;
  }

  /** The sensor's keyring; CRYPTO_KEYFILE_INVALID when there is none. */
  get(sensor: string): Keyring {
    const ring = this.load(sensor);
    if (!ring)
      throw itradeError('CRYPTO_KEYFILE_INVALID', `no keyring for sensor ${sensor.toLowerCase()} in ${this.dir}`);
    return ring;
  }

  save(ring: Keyring): void {
    const path = this.pathOf(ring.sensor);
    writeKeyringFile(path, ring);
    this.loaded.set(path, { ring, version: version(path) });
  }

  /** A seller's new keyring for the sensor (key id 1); fails if the sensor has one. */
  create(sensor: string, now?: number): Keyring {
    const ring = Keyring.generate(sensor, now);
    const path = this.pathOf(sensor);
    writeKeyringFile(path, ring, { exclusive: true });
    this.loaded.set(path, { ring, version: version(path) });
    return ring;
  }

  /** A buyer's keyring for the sensor, created empty when missing. */
  getOrCreateEmpty(sensor: string): Keyring {
    const had = this.load(sensor);
    if (had) return had;
    const ring = Keyring.empty(sensor);
    const path = this.pathOf(sensor);
    writeKeyringFile(path, ring, { exclusive: true });
    this.loaded.set(path, { ring, version: version(path) });
    return ring;
  }

  /** Makes a fresh key current for the sensor and saves the file. */
  rotate(sensor: string, now?: number): KeyEntry {
    const ring = this.get(sensor);
    const entry = ring.rotate(now);
    this.save(ring);
    return entry;
  }

  /** Adds a received key to the sensor's keyring (created when missing) and saves it. */
  add(sensor: string, entry: KeyEntry): void {
    const ring = this.getOrCreateEmpty(sensor);
    if (ring.add(entry)) this.save(ring);
  }
}
