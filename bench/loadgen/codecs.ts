// Codec factory: raw stamps for the baselines, sealed envelopes for the full-path scenarios.
import { rawCodec, type PayloadCodec } from './codec.ts';
import type { CodecSpec } from './protocol.ts';
import { sealedCodec } from './sealed.ts';

export function makeCodec(spec: CodecSpec): PayloadCodec {
  switch (spec.kind) {
    case 'raw':
      return rawCodec(spec.size);
    case 'sealed':
      return sealedCodec(spec);
  }
}
