// A growing buffer for Kafka's wire formats (big-endian integers, zig-zag varints, length-prefixed
// strings), written front to back with room kept for lengths and checksums filled in afterwards.
// Used by lib/kafkajs-produce.ts; its bytes are compared with kafkajs' Encoder in the tests.

const VARINT_MAX_BYTES = 5;

export class ByteWriter {
  private buf: Buffer;
  private at = 0;

  constructor(initial = 1024) {
    // Unzeroed: every byte handed out by done() or slice() was written first.
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.at;
  }

  /** Keeps `n` bytes to be written later (int32At, uint32At); returns where they start. */
  skip(n: number): number {
    this.room(n);
    const at = this.at;
    this.at += n;
    return at;
  }

  int8(v: number): void {
    this.room(1);
    this.at = this.buf.writeInt8(v, this.at);
  }

  int16(v: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE(v, this.at);
  }

  int32(v: number): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(v, this.at);
  }

  int64(v: bigint): void {
    this.room(8);
    this.at = this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.at);
  }

  int32At(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  uint32At(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** int16 length and UTF-8 bytes; null as length -1. */
  string(s: string | null): void {
    if (s === null) return this.int16(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    this.room(n);
    this.at += this.buf.write(s, this.at, n, 'utf8');
  }

  /** Zig-zag varint of a 32-bit integer (protobuf's sint32, Kafka's varint). */
  varInt(n: number): void {
    this.uvarInt(((n << 1) ^ (n >> 31)) >>> 0);
  }

  /** Zig-zag varint of a 64-bit integer (Kafka's varlong), here from a safe integer. */
  varLong(n: number): void {
    if (n >= -0x40000000 && n < 0x40000000) return this.varInt(n);
    let z = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
    z = BigInt.asUintN(64, z);
    this.room(10);
    while (z >= 0x80n) {
      this.buf[this.at++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.at++] = Number(z);
  }

  /** varint length and bytes (strings as UTF-8); null as length -1. */
  varBytes(v: Buffer | string | null): void {
    if (v === null) return this.varInt(-1);
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v, 'utf8');
      this.varInt(n);
      this.room(n);
      this.at += this.buf.write(v, this.at, n, 'utf8');
      return;
    }
    this.varInt(v.length);
    this.room(v.length);
    this.at += v.copy(this.buf, this.at);
  }

  /**
   * The bytes from `start` on are a record whose varint length goes at `lengthAt` (where
   * VARINT_MAX_BYTES were skipped): writes it and moves the record up against it.
   */
  closeVarIntLength(lengthAt: number, start: number): void {
    if (start - lengthAt !== VARINT_MAX_BYTES)
      throw new Error('closeVarIntLength: 5 bytes must be kept for the length');
    const size = this.at - start;
    const head = this.at;
    this.varInt(size);
    const n = this.at - head;
    this.buf.copy(this.buf, lengthAt, head, head + n);
    this.buf.copy(this.buf, lengthAt + n, start, head);
    this.at = lengthAt + n + size;
  }

  /** A view of the bytes written from `from` on (valid until the next write). */
  slice(from: number): Buffer {
    return this.buf.subarray(from, this.at);
  }

  /** The bytes written. */
  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private uvarInt(v: number): void {
    this.room(VARINT_MAX_BYTES);
    while (v >= 0x80) {
      this.buf[this.at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.at++] = v;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}
