// broker/proxy-listener.ts on real node:tls and node:http servers, and the canary for what it
// relies on in Node.js: a server's own connection handling lives in its 'connection' listeners
// and takes a socket handed to it later, after the PROXY header was read off it; node:tls then
// reads the bytes put back after the header (the start of the ClientHello) before the socket's
// handle, and node:http parses them once the socket flows. Both when the header and the first
// bytes arrive in one read and when they arrive apart (the second write waits until the header
// was read). A peer that is not trusted reaches the server untouched; a trusted one that sends no
// header, or resets the connection mid-header, is dropped without harm to the server.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../lib/log.ts';
import { proxyProtocolFirst, type ProxiedPeers } from '../../broker/proxy-listener.ts';
import { TestPki } from '../helpers/pki.ts';
import { headerFirst, proxyV1, proxyV2 } from '../helpers/proxy.ts';

const pki = new TestPki('proxy-listener-ca');
/** The warnings logged so far (the refusals of headers). */
const warnings: { msg: string; err: string }[] = [];
const log = createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
const opts = (trusted: boolean) => ({ name: 't', trusted: () => trusted, timeoutMs: 5000, log });

async function listen<S extends Server | HttpServer>(s: S): Promise<number> {
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

/** A TLS echo server behind the PROXY protocol: it answers each secure socket with its device address. */
async function tlsEcho(trusted: boolean) {
  const leaf = pki.server();
  const server = createTlsServer({ cert: pki.pem(leaf.cert), key: pki.pem(leaf.key) }, (s: TLSSocket) =>
    s.end(`device ${peers.address(s) ?? '-'} has ${peers.has(s)}`),
  );
  const peers: ProxiedPeers = proxyProtocolFirst(server, opts(trusted));
  return { server, peers, port: await listen(server) };
}

/** Resolves once the server has read the header of the connection from `raw` (it keys it by this peer). */
async function headerRead(peers: ProxiedPeers, raw: Socket): Promise<void> {
  // The client's local address and port are the server's peer (known once connected).
  while (!peers.has({ remoteAddress: raw.localAddress, remotePort: raw.localPort }))
    await new Promise((r) => setTimeout(r, 10));
}

function reply(s: TLSSocket | Socket): Promise<string> {
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer and no close within 10 s')), 10_000);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // The server ends the link after its answer (a TLS socket over a stream may not report 'close').
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    s.once('end', done);
    s.once('close', done);
  });
}

for (const [version, header] of [
  ['v1', proxyV1],
  ['v2', proxyV2],
] as const) {
  test(`TLS ${version}: the ClientHello in the header's read and in a later one`, async () => {
    const { server, peers, port } = await tlsEcho(true);
    const ca = pki.pem(pki.ca.cert);
    const raw = () => createConnection({ host: '127.0.0.1', port });
    const together = tlsConnect({ host: '127.0.0.1', ca, socket: headerFirst(raw(), header('198.51.100.7')) });
    assert.is(await reply(together), 'device 198.51.100.7 has true');
    const r = raw();
    await once(r, 'connect');
    r.write(header('198.51.100.8'));
    await headerRead(peers, r);
    assert.is(await reply(tlsConnect({ host: '127.0.0.1', ca, socket: r })), 'device 198.51.100.8 has true');
    server.close();
  });

  test(`HTTP ${version}: the request in the header's read and in a later one`, async () => {
    const server = createHttpServer((req, res) => res.end(`device ${peers.address(req.socket)}`));
    const peers = proxyProtocolFirst(server, opts(true));
    const port = await listen(server);
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const together = createConnection({ host: '127.0.0.1', port });
    together.write(Buffer.concat([header('198.51.100.7'), request]));
    assert.match(await reply(together), /^HTTP\/1\.1 200[^]*device 198\.51\.100\.7$/);
    const apart = createConnection({ host: '127.0.0.1', port });
    apart.write(header('198.51.100.8'));
    await headerRead(peers, apart);
    apart.write(request);
    assert.match(await reply(apart), /^HTTP\/1\.1 200[^]*device 198\.51\.100\.8$/);
    server.close();
  });
}

test('an untrusted peer reaches the server untouched; a trusted one without a header is dropped', async () => {
  const untrusted = await tlsEcho(false);
  const direct = tlsConnect({ host: '127.0.0.1', port: untrusted.port, ca: pki.pem(pki.ca.cert) });
  assert.is(await reply(direct), 'device - has false');
  untrusted.server.close();
  const trusted = await tlsEcho(true);
  const noHeader = tlsConnect({ host: '127.0.0.1', port: trusted.port, ca: pki.pem(pki.ca.cert) });
  const why = await reply(noHeader).then(
    () => 'closed',
    (e: Error) => e.message,
  );
  assert.match(why, /closed|socket disconnected|ECONNRESET/);
  trusted.server.close();
});

test('a trusted peer that resets mid-header is refused and the server goes on serving', async () => {
  const { server, port } = await tlsEcho(true);
  const r = createConnection({ host: '127.0.0.1', port });
  await once(r, 'connect');
  r.write('PROXY TCP4 198.51');
  r.resetAndDestroy();
  // Without an 'error' listener on the socket during the header, the reset would throw in the server.
  while (!warnings.some((w) => w.msg === 'proxy protocol header refused' && /ECONNRESET|closed/.test(w.err)))
    await new Promise((res) => setTimeout(res, 10));
  const next = tlsConnect({
    host: '127.0.0.1',
    ca: pki.pem(pki.ca.cert),
    socket: headerFirst(createConnection({ host: '127.0.0.1', port }), proxyV1('198.51.100.9')),
  });
  assert.is(await reply(next), 'device 198.51.100.9 has true');
  server.close();
});

test.after(() => pki.rm());

test.run();
