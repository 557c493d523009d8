// Waiting for a connection's written bytes to leave: Aedes closes a client with destroy(), which
// drops what the socket has not handed to the OS yet, so PUBACKs already written would be lost.
import type { Duplex } from 'node:stream';

/** Resolves once `conn` has handed every byte written to it to the OS (or after `ms`). */
export function flushed(conn: Duplex, ms: number): Promise<void> {
  if (conn.destroyed || conn.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    conn.once('drain', done);
    conn.once('close', done);
  });
}
