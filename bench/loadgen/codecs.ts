// Codec factory: raw for baselines; sealed (real AES-GCM envelopes) arrives with the crypto
// library and is registered here.
import { rawCodec, type PayloadCodec } from './codec.ts';
import type { CodecSpec } from './protocol.ts';

export function makeCodec(spec: CodecSpec): PayloadCodec {
  switch (spec.kind) {
    case 'raw':
      return rawCodec(spec.size);
    default:
      throw new Error(`codec ${spec.kind} is not available`);
  }
}
