// A sensor's AES-256-GCM keys (docs/envelope.md, "Key files"). The seller makes a keyring with
// key id 1 at registration; rotate() adds the next key id and makes it current, keeping the old
// ones so history stays readable. A buyer keeps the keys it received in the same format, without
// a current key. This class holds them in memory and reads and writes the JSON text of a key
// file; where that text lives is a KeyringStore's business (sdk/node/keyring-folder.ts: one
// owner-only file per sensor; MemoryKeyrings: a page's memory).
//
// Nonces are random 96-bit values: NIST SP 800-38D 8.3 bounds one key to 2^32 envelopes with random
// nonces (nonce-collision probability below 2^-32). Rotate well before that: at 100 readings/s a
// key lasts 1.3 years; rotate far more often than that.
import { itradeError } from '../../protocol/errors.ts';
import { equalBytes, fromBase64, toBase64 } from '../../protocol/bytes.ts';
import { addressBytes, KEY_LENGTH, MAX_KEY_ID, openEnvelope, sealEnvelope } from './envelope.ts';
import { randomBytes } from './random.ts';

export const KEYRING_FORMAT = 'itrade-keyring/1';
/** Envelopes one key may seal with random nonces [NIST SP 800-38D 8.3]. */
export const MAX_ENVELOPES_PER_KEY = 2 ** 32;

export interface KeyEntry {
  keyId: number;
  key: Uint8Array;
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

function invalid(where: string, why: string): never {
  throw itradeError('CRYPTO_KEYFILE_INVALID', `key file ${where}: ${why}`);
}

function parseEntry(where: string, e: unknown): KeyEntry {
  const o = (e ?? {}) as Record<string, unknown>;
  const { keyId, sinceMs, key } = o;
  if (typeof keyId !== 'number' || !Number.isInteger(keyId) || keyId < 1 || keyId > MAX_KEY_ID)
    invalid(where, `bad keyId ${String(keyId)}`);
  if (typeof sinceMs !== 'number' || !Number.isSafeInteger(sinceMs) || sinceMs < 0)
    invalid(where, `key ${keyId}: bad sinceMs`);
  const bytes = typeof key === 'string' ? fromBase64(key) : undefined;
  if (bytes?.length !== KEY_LENGTH) invalid(where, `key ${keyId}: not ${KEY_LENGTH} base64 bytes`);
  return { keyId, sinceMs, key: bytes };
}

export class Keyring {
  readonly sensor: string;
  private readonly keys = new Map<number, KeyEntry>();
  private currentId: number | undefined;

  private constructor(sensor: string, entries: KeyEntry[], current: number | undefined) {
    this.sensor = sensor;
    for (const e of entries) this.keys.set(e.keyId, e);
    this.currentId = current;
  }

  /** A seller's new keyring: a random key with key id 1, in effect from `now`. */
  static generate(sensor: string, now = Date.now()): Keyring {
    addressBytes(sensor);
    return new Keyring(sensor.toLowerCase(), [{ keyId: 1, key: randomBytes(KEY_LENGTH), sinceMs: now }], 1);
  }

  /** A buyer's empty keyring, filled by add(). */
  static empty(sensor: string): Keyring {
    addressBytes(sensor);
    return new Keyring(sensor.toLowerCase(), [], undefined);
  }

  /** A keyring from the JSON text of a key file; `where` names it in errors (CRYPTO_KEYFILE_INVALID). */
  static fromJson(text: string, where = '(text)'): Keyring {
    let json: KeyringJson;
    try {
      json = JSON.parse(text) as KeyringJson;
    } catch {
      invalid(where, 'not JSON');
    }
    if (json?.format !== KEYRING_FORMAT) invalid(where, `format is not "${KEYRING_FORMAT}"`);
    if (typeof json.sensor !== 'string') invalid(where, 'no sensor');
    addressBytes(json.sensor);
    if (!Array.isArray(json.keys)) invalid(where, 'no keys array');
    const entries = json.keys.map((e) => parseEntry(where, e));
    if (new Set(entries.map((e) => e.keyId)).size !== entries.length) invalid(where, 'a key id appears twice');
    if (json.current !== undefined && !entries.some((e) => e.keyId === json.current))
      invalid(where, `current key ${json.current} is not in the file`);
    return new Keyring(json.sensor.toLowerCase(), entries, json.current);
  }

  /** The JSON text of the key file (docs/envelope.md): keys in standard base64. */
  toJson(): string {
    const keys = this.keyIds().map((id) => {
      const e = this.keys.get(id)!;
      return { keyId: e.keyId, sinceMs: e.sinceMs, key: toBase64(e.key) };
    });
    const json: KeyringJson = {
      format: KEYRING_FORMAT,
      sensor: this.sensor,
      ...(this.currentId === undefined ? {} : { current: this.currentId }),
      keys,
    };
    return `${JSON.stringify(json, null, 2)}\n`;
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
        `the keyring of ${this.sensor} has no current key (a buyer's keyring only decrypts)`,
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
    if (keyId > MAX_KEY_ID)
      throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `the keyring of ${this.sensor} used every key id`);
    // Periods must not overlap even if the clock stepped back.
    const entry = { keyId, key: randomBytes(KEY_LENGTH), sinceMs: Math.max(now, prev.sinceMs + 1) };
    this.keys.set(keyId, entry);
    this.currentId = keyId;
    return entry;
  }

  /** Adds a key received from the seller (buyer side). False when it held that very key already. */
  add(entry: KeyEntry): boolean {
    const had = this.keys.get(entry.keyId);
    if (had && equalBytes(had.key, entry.key)) return false;
    if (had)
      throw itradeError(
        'CRYPTO_KEYFILE_INVALID',
        `the keyring of ${this.sensor} already holds a different key ${entry.keyId}`,
      );
    if (entry.key.length !== KEY_LENGTH)
      throw itradeError('CRYPTO_KEYFILE_INVALID', `a sensor key has ${KEY_LENGTH} bytes`);
    this.keys.set(entry.keyId, { keyId: entry.keyId, key: Uint8Array.from(entry.key), sinceMs: entry.sinceMs });
    return true;
  }

  /** Seals a plaintext (an encoded reading) with the current key. */
  seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const { keyId, key } = this.current();
    return sealEnvelope({ sensor: this.sensor, keyId, key, plaintext });
  }

  /** Opens an envelope of this keyring's sensor with whichever key id it names. */
  open(envelope: Uint8Array): Promise<Uint8Array> {
    return openEnvelope(envelope, this.sensor, (id) => this.keys.get(id)?.key);
  }
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Where keyrings live between runs, one per sensor. sdk/node/keyring-folder.ts keeps owner-only
 * files; MemoryKeyrings keeps them in memory (a browser page, a test). A shared contract test
 * (test/sdk/keyring-store.contract.ts) runs against both.
 */
export interface KeyringStore {
  /** The sensor's keyring as last saved (reloaded when another process changed it), or undefined. */
  load(sensor: string): MaybePromise<Keyring | undefined>;
  /** Keeps the keyring (after rotate() or add()). */
  save(ring: Keyring): MaybePromise<void>;
}

export class MemoryKeyrings implements KeyringStore {
  private readonly rings = new Map<string, Keyring>();

  load(sensor: string): Keyring | undefined {
    return this.rings.get(sensor.toLowerCase());
  }

  save(ring: Keyring): void {
    this.rings.set(ring.sensor, ring);
  }

  sensors(): string[] {
    return [...this.rings.keys()].sort();
  }
}
