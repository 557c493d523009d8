// protocol/ encodes into plain Uint8Arrays (it runs in browsers too); the server's MQTT and Kafka
// clients want Buffers. This views the same memory as a Buffer, without a copy.
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
