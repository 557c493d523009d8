// A sensor's AES-256-GCM keys, in one owner-only JSON file per sensor (docs/envelope.md, "Key
// files"). The seller's tooling creates the file with key id 1 at registration; rotate() adds the
// next key id and makes it current, keeping the old ones so history stays readable. A buyer keeps
// the keys it received in the same format, without a current key.
//
// Nonces are random 96-bit values: NIST SP 800-38D 8.3 bounds one key to 2^32 envelopes with random
// nonces (nonce-collision probability below 2^-32). Rotate well before that: at 100 readings/s a
// key lasts 1.3 years; rotate far more often than that.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { itradeError } from '../../protocol/errors.ts';
import { addressBytes, KEY_LENGTH, MAX_KEY_ID, openEnvelope, sealEnvelope } from './envelope.ts';
import { readSecretFile, writeSecretFile } from '../node/secret-file.ts';

export const KEYRING_FORMAT = 'itrade-keyring/1';
/** Envelopes one key may seal with random nonces [NIST SP 800-38D 8.3]. */
export const MAX_ENVELOPES_PER_KEY = 2 ** 32;

export interface KeyEntry {
  keyId: number;
  key: Buffer;
  /** When the key took effect (ms since the epoch, seller's clock). */
  sinceMs: number;
}

/** A key's validity: from sinceMs until the next key took effect (null: still current). */
export interface KeyPeriod {
  sinceMs: number;
  untilMs: number | null;
}

interface KeyringJson {
  format: string;
  sensor: string;
  current?: number;
  keys: { keyId: number; sinceMs: number; key: string }[];
}

function invalid(path: string, why: string): never {
  throw itradeError('CRYPTO_KEYFILE_INVALID', `key file ${path}: ${why}`);
}

function parseEntry(path: string, e: unknown): KeyEntry {
  const o = (e ?? {}) as Record<string, unknown>;
  const { keyId, sinceMs, key } = o;
  if (typeof keyId !== 'number' || !Number.isInteger(keyId) || keyId < 1 || keyId > MAX_KEY_ID)
    invalid(path, `bad keyId ${String(keyId)}`);
  if (typeof sinceMs !== 'number' || !Number.isSafeInteger(sinceMs) || sinceMs < 0)
    invalid(path, `key ${keyId}: bad sinceMs`);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_LENGTH) invalid(path, `key ${keyId}: not ${KEY_LENGTH} base64 bytes`);
  return { keyId, sinceMs, key: bytes };
}

export class Keyring {
  readonly path: string;
  readonly sensor: string;
  private readonly keys = new Map<number, KeyEntry>();
  private currentId: number | undefined;

  private constructor(path: string, sensor: string, entries: KeyEntry[], current: number | undefined) {
    this.path = path;
    this.sensor = sensor;
    for (const e of entries) this.keys.set(e.keyId, e);
    this.currentId = current;
  }

  /** A seller's new keyring with key id 1 in effect from `now`; never overwrites a file. */
  static create(path: string, sensor: string, now = Date.now()): Keyring {
    addressBytes(sensor);
    const ring = new Keyring(path, sensor.toLowerCase(), [{ keyId: 1, key: randomBytes(KEY_LENGTH), sinceMs: now }], 1);
    writeSecretFile(path, ring.toJson(), { exclusive: true });
    return ring;
  }

  /** A buyer's empty keyring, filled by add(); never overwrites a file. */
  static createEmpty(path: string, sensor: string): Keyring {
    addressBytes(sensor);
    const ring = new Keyring(path, sensor.toLowerCase(), [], undefined);
    writeSecretFile(path, ring.toJson(), { exclusive: true });
    return ring;
  }

  /** Loads a keyring, refusing a file group/others can read (CRYPTO_KEYFILE_PERMISSIONS). */
  static load(path: string): Keyring {
    let json: KeyringJson;
    try {
      json = JSON.parse(readSecretFile(path).toString('utf8')) as KeyringJson;
    } catch (err) {
      if (err instanceof SyntaxError) invalid(path, 'not JSON');
      throw err;
    }
    if (json?.format !== KEYRING_FORMAT) invalid(path, `format is not "${KEYRING_FORMAT}"`);
    if (typeof json.sensor !== 'string') invalid(path, 'no sensor');
    addressBytes(json.sensor);
    if (!Array.isArray(json.keys)) invalid(path, 'no keys array');
    const entries = json.keys.map((e) => parseEntry(path, e));
    if (new Set(entries.map((e) => e.keyId)).size !== entries.length) invalid(path, 'a key id appears twice');
    if (json.current !== undefined && !entries.some((e) => e.keyId === json.current))
      invalid(path, `current key ${json.current} is not in the file`);
    return new Keyring(path, json.sensor.toLowerCase(), entries, json.current);
  }

  keyIds(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  get(keyId: number): KeyEntry | undefined {
    return this.keys.get(keyId);
  }

  /** The key new envelopes are sealed with (a seller's keyring only). */
  current(): KeyEntry {
    const e = this.currentId === undefined ? undefined : this.keys.get(this.currentId);
    if (!e)
      throw itradeError(
        'CRYPTO_UNKNOWN_KEY_ID',
        `keyring ${this.path} has no current key (a buyer's keyring only decrypts)`,
      );
    return e;
  }

  /** sinceMs of the key, untilMs: sinceMs of the next higher key id held (null if none). */
  period(keyId: number): KeyPeriod | undefined {
    const e = this.keys.get(keyId);
    if (!e) return undefined;
    const next = this.keyIds().find((id) => id > keyId);
    return { sinceMs: e.sinceMs, untilMs: next === undefined ? null : this.keys.get(next)!.sinceMs };
  }

  /** Makes a fresh key current from `now`; the old keys stay for history. Returns the new key. */
  rotate(now = Date.now()): KeyEntry {
    const prev = this.current();
    const keyId = Math.max(...this.keyIds()) + 1;
    if (keyId > MAX_KEY_ID) throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `keyring ${this.path} has used every key id`);
    // Periods must not overlap even if the clock stepped back.
    const entry = { keyId, key: randomBytes(KEY_LENGTH), sinceMs: Math.max(now, prev.sinceMs + 1) };
    this.keys.set(keyId, entry);
    this.currentId = keyId;
    this.save();
    return entry;
  }

  /** Stores a key received from the seller (buyer side); the same key twice is a no-op. */
  add(entry: KeyEntry): void {
    const had = this.keys.get(entry.keyId);
    if (had?.key.equals(entry.key)) return;
    if (had)
      throw itradeError('CRYPTO_KEYFILE_INVALID', `key file ${this.path} already holds a different key ${entry.keyId}`);
    if (entry.key.length !== KEY_LENGTH)
      throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes`);
    this.keys.set(entry.keyId, { keyId: entry.keyId, key: Buffer.from(entry.key), sinceMs: entry.sinceMs });
    this.save();
  }

  /** Seals a plaintext (an encoded reading) with the current key. */
  seal(plaintext: Buffer): Buffer {
    const { keyId, key } = this.current();
    return sealEnvelope({ sensor: this.sensor, keyId, key, plaintext });
  }

  /** Opens an envelope of this keyring's sensor with whichever key id it names. */
  open(envelope: Uint8Array): Buffer {
    return openEnvelope(envelope, this.sensor, (id) => this.keys.get(id)?.key);
  }

  private toJson(): string {
    const keys = this.keyIds().map((id) => {
      const e = this.keys.get(id)!;
      return { keyId: e.keyId, sinceMs: e.sinceMs, key: e.key.toString('base64') };
    });
    const json: KeyringJson = {
      format: KEYRING_FORMAT,
      sensor: this.sensor,
      ...(this.currentId === undefined ? {} : { current: this.currentId }),
      keys,
    };
    return `${JSON.stringify(json, null, 2)}\n`;
  }

  private save(): void {
    writeSecretFile(this.path, this.toJson());
  }
}

/** Identity of a file version: every save renames a new file in, so the inode changes. */
function version(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/**
 * A folder of keyrings, one `<sensor>.json` per sensor. get() reloads a file another process
 * changed (the seller rotating with the CLI while the key agent runs).
 */
export class KeyringStore {
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

  /** The sensor's keyring; CRYPTO_KEYFILE_INVALID when there is none. */
  get(sensor: string): Keyring {
    const path = this.pathOf(sensor);
    let v: string;
    try {
      v = version(path);
    } catch (cause) {
      throw itradeError('CRYPTO_KEYFILE_INVALID', `no keyring for sensor ${sensor.toLowerCase()} in ${this.dir}`, {
        cause,
      });
    }
    const hit = this.loaded.get(path);
    if (hit && hit.version === v) return hit.ring;
    const ring = Keyring.load(path);
    if (ring.sensor !== sensor.toLowerCase()) invalid(path, `belongs to sensor ${ring.sensor}`);
    this.loaded.set(path, { ring, version: v });
    return ring;
  }

  /** A seller's new keyring for the sensor (fails if one exists). */
  create(sensor: string, now?: number): Keyring {
    const ring = Keyring.create(this.pathOf(sensor), sensor, now);
    this.remember(ring);
    return ring;
  }

  /** A buyer's keyring for the sensor, created empty when missing. */
  getOrCreateEmpty(sensor: string): Keyring {
    if (this.has(sensor)) return this.get(sensor);
    const ring = Keyring.createEmpty(this.pathOf(sensor), sensor);
    this.remember(ring);
    return ring;
  }

  private remember(ring: Keyring): void {
    this.loaded.set(ring.path, { ring, version: version(ring.path) });
  }
}
