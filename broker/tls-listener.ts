// The MQTT TLS listener: the server certificate, the CA of device client certificates (none,
// optional or required), the oldest TLS version, and reload of renewed files without dropping
// open connections: the files are checked every reloadCheckMs and a changed set replaces the
// server's secure context (tls.Server.setSecureContext), which only new handshakes use.
// A file that cannot be read at reload keeps the context in use and logs a warning.
import { readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createServer, type SecureContextOptions, type Server } from 'node:tls';
import type { ItradeConfig } from '../config/schema.ts';
import { itradeError } from '../protocol/errors.ts';
import { resolvePath } from '../lib/paths.ts';
import type { Logger } from '../lib/log.ts';

type TlsListener = ItradeConfig['broker']['listeners']['tls'];

function files(t: TlsListener): string[] {
  return [t.certFile, t.keyFile, t.caFile].filter((f) => f !== '').map(resolvePath);
}

function contextOptions(t: TlsListener): SecureContextOptions {
  const opts: SecureContextOptions = {
    cert: readFileSync(resolvePath(t.certFile)),
    key: readFileSync(resolvePath(t.keyFile)),
    minVersion: t.minVersion,
  };
  if (t.caFile !== '') opts.ca = readFileSync(resolvePath(t.caFile));
  return opts;
}

/** What the files look like now: a change of size or modification time means a renewal. */
function stamp(t: TlsListener): string {
  return files(t)
    .map((f) => {
      const s = statSync(f, { throwIfNoEntry: false });
      return s ? `${s.size}:${s.mtimeMs}` : 'missing';
    })
    .join('|');
}

export function tlsServer(t: TlsListener, onSocket: (s: Socket) => void, log: Logger): Server {
  if (t.clientCerts !== 'none' && t.caFile === '')
    throw itradeError('BROKER_LISTENER', `broker.listeners.tls.caFile: clientCerts ${t.clientCerts} needs the CA`);
  let server: Server;
  try {
    server = createServer(
      {
        ...contextOptions(t),
        requestCert: t.clientCerts !== 'none',
        rejectUnauthorized: t.clientCerts === 'required',
      },
      (sock) => {
        // optional: a certificate that was sent must verify; no certificate at all is fine.
        if (t.clientCerts === 'optional' && !sock.authorized && sock.getPeerCertificate()?.raw) sock.destroy();
        else onSocket(sock);
      },
    );
  } catch (err) {
    throw itradeError('BROKER_LISTENER', 'broker.listeners.tls: certFile, keyFile and caFile must be readable PEM', {
      cause: err,
    });
  }
  if (t.reloadCheckMs > 0) watch(server, t, log);
  return server;
}

function watch(server: Server, t: TlsListener, log: Logger): void {
  let seen = stamp(t);
  const timer = setInterval(() => {
    const now = stamp(t);
    if (now === seen) return;
    try {
      server.setSecureContext(contextOptions(t));
      seen = now;
      log.info({ files: files(t).length }, 'mqtt tls certificates reloaded');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'mqtt tls certificates changed but cannot be loaded; keeping the old');
    }
  }, t.reloadCheckMs);
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
