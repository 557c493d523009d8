// The PROXY protocol (HAProxy, versions 1 and 2) on the MQTT listeners: a load balancer that
// speaks it (AWS NLB, GCP, HAProxy) sends the device's address in a header before any MQTT, TLS
// or HTTP byte, so the network policy and the per-address limits see the device, not the balancer.
// The header is believed only from sovereignty.trustedProxies; a trusted peer that sends none,
// or a malformed one, is disconnected. A LOCAL (v2) or UNKNOWN (v1) header keeps the peer
// address (the balancer's own health checks). Spec: haproxy.org/download/2.9/doc/proxy-protocol.txt
import type { Socket } from 'node:net';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107; // the longest v1 line, CRLF included

export type Parsed = { address: string | undefined; length: number } | 'more' | 'invalid';

/** Parses a header at the start of `buf`: the source address and the header's length. */
export function parseProxyHeader(buf: Buffer): Parsed {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (n > 0 && buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) return buf.length < 16 ? 'more' : v2(buf);
  const head = buf.subarray(0, Math.min(buf.length, 6)).toString('latin1');
  if (!'PROXY '.startsWith(head) && !head.startsWith('PROXY ')) return 'invalid';
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length >= V1_MAX ? 'invalid' : 'more';
  return v1(buf.subarray(0, end).toString('latin1'), end + 2);
}

function v1(line: string, length: number): Parsed {
  const [, proto, src, , sport] = line.split(' ');
  if (proto === 'UNKNOWN') return { address: undefined, length };
  const ok =
    (proto === 'TCP4' && /^\d{1,3}(\.\d{1,3}){3}$/.test(src ?? '')) || (proto === 'TCP6' && src?.includes(':'));
  if (!ok || !/^\d{1,5}$/.test(sport ?? '')) return 'invalid';
  return { address: src, length };
}

function v2(buf: Buffer): Parsed {
  const verCmd = buf[12]!;
  const family = buf[13]!;
  const length = 16 + buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return 'invalid';
  if (buf.length < length) return 'more';
  if ((verCmd & 0x0f) === 0) return { address: undefined, length }; // LOCAL
  if ((verCmd & 0x0f) !== 1) return 'invalid';
  if (family === 0x11 && length >= 16 + 12) return { address: [...buf.subarray(16, 20)].join('.'), length };
  if (family === 0x21 && length >= 16 + 36) {
    const words = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(16 + i * 2).toString(16));
    return { address: words.join(':'), length };
  }
  return { address: undefined, length }; // UNSPEC or a family without an IP (unix): the peer counts
}

/**
 * Reads the header off a socket from a trusted proxy; resolves with the device's address (or
 * the peer's for LOCAL/UNKNOWN) once the rest of the stream is put back for MQTT to read.
 * Rejects on a malformed or missing header, a socket error or close, or after `timeoutMs`.
 */
export function readProxyHeader(sock: Socket, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const finish = (err?: Error, address?: string, rest?: Buffer) => {
      clearTimeout(timer);
      // Paused and unheard before the rest goes back, so no byte is emitted to nobody.
      sock.pause();
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      if (rest && rest.length > 0) sock.unshift(rest);
      if (err) reject(err);
      else resolve(address);
    };
    const timer = setTimeout(() => finish(new Error('no PROXY protocol header in time')), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const r = parseProxyHeader(buf);
      if (r === 'more') return;
      if (r === 'invalid') return finish(new Error('not a PROXY protocol header'));
      finish(undefined, r.address ?? sock.remoteAddress, buf.subarray(r.length));
    };
    // A balancer that resets mid-header must not leave an 'error' without a listener (it would throw).
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new Error('closed before its PROXY protocol header'));
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
  });
}
