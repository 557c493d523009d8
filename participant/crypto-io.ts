// The steps behind the crypto tool's seal / decrypt / unwrap commands, as plain functions (the
// tool only adds argument parsing and stdin/stdout). Lines follow what mosquitto_sub prints with
// `-F '%t %x'` (topic, space, payload in hex) or `-F %x` (hex only).
import { parseBuyerKeyReply } from '../protocol/key-exchange.ts';
import { sensorOfTopic } from '../protocol/topics.ts';
import { errorFromCode, itradeError } from '../protocol/errors.ts';
import { fromBase64, fromHex, utf8 } from '../protocol/bytes.ts';
import {
  checkReading,
  decodeReading,
  envelopeKeyId,
  SENSOR_TYPES,
  unwrapSensorKey,
  type KeyringFolder,
  type PrincipalKey,
  type Reading,
} from '../sdk/node.ts';

export interface ReadingFlags {
  type?: number;
  value?: number;
  seq?: number;
  unit?: string;
}

/** A reading from flags (ts = now, unit from the type) or, without --value, from JSON text. */
export function buildReading(flags: ReadingFlags, json: string | undefined, now = Date.now()): Reading {
  if (flags.value === undefined) {
    if (!json?.trim())
      throw itradeError('CRYPTO_READING_INVALID', 'give --value (and --type, --seq) or a reading as JSON on stdin');
    return decodeReading(utf8(json));
  }
  const type = flags.type ?? 0;
  const builtIn = SENSOR_TYPES[type as keyof typeof SENSOR_TYPES];
  const unit = flags.unit ?? builtIn?.unit;
  if (unit === undefined)
    throw itradeError('CRYPTO_READING_INVALID', `sensor type ${type} is not built in: give --unit`);
  return checkReading({ seq: flags.seq ?? 0, ts: now, type, value: flags.value, unit });
}

export interface DecryptedLine {
  sensor: string;
  keyId: number;
  reading: Reading;
  /** Buyer clock minus device clock, ms (includes any clock skew). */
  latencyMs: number;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** One `topic hex` or `hex` line: the sensor comes from the topic, else from `sensor`. */
export function decryptLine(
  line: string,
  store: KeyringFolder,
  sensor: string | undefined,
  now = Date.now(),
): Promise<DecryptedLine> {
  const parts = line.trim().split(/\s+/);
  const hex = parts.at(-1) ?? '';
  const s = parts.length > 1 ? sensorOfTopic(parts[0]!) : sensor?.toLowerCase();
  if (!s)
    throw itradeError(
      'CRYPTO_ENVELOPE_MALFORMED',
      parts.length > 1 ? `topic ${parts[0]} is not sensors/<address>` : 'no topic on the line: give --sensor',
    );
  if (!HEX.test(hex))
    throw itradeError('CRYPTO_ENVELOPE_MALFORMED', 'the payload is not hex (use mosquitto_sub -F %x)');
  return decryptEnvelope(fromHex(hex)!, store, s, now);
}

export async function decryptEnvelope(
  envelope: Uint8Array,
  store: KeyringFolder,
  sensor: string,
  now = Date.now(),
): Promise<DecryptedLine> {
  const keyId = envelopeKeyId(envelope);
  const reading = decodeReading(await store.get(sensor).open(envelope));
  return { sensor: sensor.toLowerCase(), keyId, reading, latencyMs: now - reading.ts };
}

/**
 * A key answer (the JSON mosquitto_sub prints from buyers/<buyer>/keys/<id>): an error answer
 * becomes that error; a grant is verified, unwrapped and added to the buyer's keyring.
 */
export async function unwrapAnswer(
  json: string,
  own: PrincipalKey,
  store: KeyringFolder,
  buyer: string,
  sellerPublicKeyPem?: string,
): Promise<{ sensor: string; keyId: number }> {
  const reply = parseBuyerKeyReply(utf8(json.trim()));
  if ('error' in reply)
    throw errorFromCode(reply.error.code, `the gateway answered: ${reply.error.message}`, 'CRYPTO_UNWRAP_FAILED');
  const k = await unwrapSensorKey(
    own,
    { wrapped: fromBase64(reply.wrapped)!, signature: fromBase64(reply.signature)! },
    { buyer, sensor: reply.sensor, keyId: reply.keyId, ...(sellerPublicKeyPem ? { sellerPublicKeyPem } : {}) },
  );
  store.add(k.sensor, { keyId: k.keyId, key: k.key, sinceMs: reply.sinceMs });
  return { sensor: k.sensor, keyId: k.keyId };
}
