// A byte bound on incoming MQTT packets. mqtt-packet (Aedes' parser) reads a packet's Remaining
// Length [MQTT-2.2.3] and then buffers the whole packet, up to 256 MB, before Aedes sees it;
// aedes has no option to bound that. The guard checks the length as soon as the fixed header is
// parsed and fails the parser, which makes Aedes close the connection (clientError) before the
// payload is buffered. It wraps one method of the parser instance (mqtt-packet 9, parser.js
// `_parseLength`); test/broker/limits/packet-guard.test.ts fails if that internal changes.
import type { Client } from 'aedes';
import { itradeError } from '../../protocol/errors.ts';

interface ParserInternals {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/** Room for the topic, packet id and header around the largest allowed payload. */
export const PACKET_OVERHEAD_BYTES = 4096;

export function guardPacketLength(client: Client, maxBytes: number): void {
  const parser = (client as unknown as { _parser?: Partial<ParserInternals> })._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') {
    throw new Error(
      'aedes/mqtt-packet internals changed: the packet length guard cannot attach (broker/limits/packet-guard.ts)',
    );
  }
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedParseLength(this: ParserInternals): boolean {
    const done = parseLength.call(this);
    if (done && this.packet.length > maxBytes) {
      this._emitError(
        itradeError(
          'LIMIT_PACKET_TOO_LARGE',
          `${this.packet.cmd ?? 'packet'} of ${this.packet.length} bytes; at most ${maxBytes} are accepted`,
        ),
      );
      return false;
    }
    return done;
  };
}
