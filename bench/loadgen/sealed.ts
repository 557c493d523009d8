// The paper scenario's payload: a real reading in a real AES-256-GCM envelope (docs/envelope.md),
// sealed on the device and opened at the buyer. The reading carries one extra field, `due` (the
// scheduled send time, CLOCK_MONOTONIC ns), which readers ignore as they ignore any newer field;
// the latency is measured after decryption.
// It seals and opens synchronously (node:crypto, the SDK's Node.js fast path): a load generator
// seals thousands a second.
import { decodeReading, openEnvelopeSync, sealEnvelopeSync } from '../../sdk/node.ts';
import type { PayloadCodec } from './codec.ts';
import type { CodecSpec } from './protocol.ts';

export function sealedCodec(spec: CodecSpec): PayloadCodec {
  const keys = new Map<number, { key: Buffer; keyId: number; sensor: string }>();
  const bySensor = new Map<string, { key: Buffer; keyId: number; device: number }>();
  for (const [dev, k] of Object.entries(spec.keys ?? {})) {
    const entry = { key: Buffer.from(k.keyHex, 'hex'), keyId: k.keyId, sensor: k.sensor.toLowerCase() };
    keys.set(Number(dev), entry);
    bySensor.set(entry.sensor, { key: entry.key, keyId: entry.keyId, device: Number(dev) });
  }
  return {
    encode(s) {
      const k = keys.get(s.device);
      if (!k) throw new Error(`no key for device ${s.device}`);
      const value = Math.round((20 + 5 * Math.sin(s.seq / 50)) * 100) / 100;
      const plaintext = Buffer.from(
        JSON.stringify({ seq: s.seq, ts: Date.now(), type: 0, value, unit: 'Cel', due: String(s.schedNs) }),
      );
      return sealEnvelopeSync({ key: k.key, keyId: k.keyId, sensor: k.sensor, plaintext });
    },
    decode(topic, payload) {
      const sensor = topic.slice(topic.lastIndexOf('/') + 1).toLowerCase();
      const k = bySensor.get(sensor);
      if (!k) throw new Error(`no key for ${sensor}`);
      const plaintext = openEnvelopeSync(payload, sensor, (id) => (id === k.keyId ? k.key : undefined));
      const reading = decodeReading(plaintext); // validates like any buyer would
      const due = (JSON.parse(plaintext.toString('utf8')) as { due: string }).due;
      return { schedNs: BigInt(due), device: k.device, seq: reading.seq };
    },
  };
}
