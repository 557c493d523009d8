// Waiting for a connection's written bytes to leave: Aedes closes a client with destroy(), which
// drops what the socket has not handed to the OS yet, so PUBACKs already written would be lost.
// writableLength counts bytes whose write has not completed; 'drain' fires only after the buffer
// went over its high-water mark, so it is polled.
import type { Duplex } from 'node:stream';

/** Resolves once `conn` has handed every byte written to it to the OS (or after `ms`). */
export async function flushed(conn: Duplex, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!conn.destroyed && conn.writableLength > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
}
