// What a load-generator message carries: the scheduled send time (CLOCK_MONOTONIC ns, the same
// clock in every process on this machine), the device index and a sequence number. The raw codec
// writes them in clear for the baselines; the sealed codec (paper scenario) puts them inside the
// encrypted reading, so the buyer measures after decryption.

export interface Stamp {
  schedNs: bigint;
  device: number;
  seq: number;
}

export interface PayloadCodec {
  encode(s: Stamp): Buffer;
  decode(topic: string, payload: Buffer): Stamp;
}

export function rawCodec(size: number): PayloadCodec {
  const len = Math.max(16, size);
  return {
    encode(s) {
      const b = Buffer.alloc(len, 0x61);
      b.writeBigUInt64BE(s.schedNs, 0);
      b.writeUInt32BE(s.device, 8);
      b.writeUInt32BE(s.seq, 12);
      return b;
    },
    decode(_topic, p) {
      return { schedNs: p.readBigUInt64BE(0), device: p.readUInt32BE(8), seq: p.readUInt32BE(12) };
    },
  };
}
