// The broker's shutdown in three steps (docs/operations.md, "Shutdown"): stop accepting; stop
// reading and let the publishes already inside finish (Kafka acknowledges them, their PUBACKs go
// out); close every session once its socket has flushed, let go of Redis.
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { BrokerContext } from './context.ts';
import type { Listening } from './listeners.ts';
import { flushed } from './socket.ts';

export interface Lifecycle {
  stopAccepting(): void;
  drain(timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

/** Aedes' Client.pause (undeclared in its types; test/broker/aedes-internals.test.ts checks it): stop reading. */
export type Pausable = Client & { pause(): void };

function liveClients(ctx: BrokerContext): Pausable[] {
  return [...ctx.connections] as Pausable[];
}

export function lifecycle(
  ctx: BrokerContext,
  a: Aedes,
  l: Listening,
  release: { unsubscribe(): void; persistence: { destroy(): Promise<void> } },
): Lifecycle {
  let stopped: Promise<unknown> | undefined;
  const stopAccepting = (): void => {
    ctx.guard.closing = true;
    // server.close stops accepting at once; its promise settles when the last socket is gone.
    stopped ??= Promise.all(l.servers.map((s) => new Promise((r) => s.close(r))));
  };
  const drain = async (timeoutMs: number): Promise<number> => {
    stopAccepting();
    for (const c of liveClients(ctx)) c.pause();
    const deadline = Date.now() + timeoutMs;
    while (ctx.inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...ctx.inflight]),
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
      ]);
    }
    return ctx.inflight.size;
  };
  const close = async (): Promise<void> => {
    stopAccepting();
    release.unsubscribe();
    ctx.presence.stop();
    // The persistence unsubscribes through the bus when destroyed, so it goes before aedes
    // closes the bus (aedes.close ends with mq.close).
    await Promise.all(
      liveClients(ctx).map(async (c) => {
        await flushed(c.conn as unknown as Duplex, 1000);
        await new Promise<void>((r) => c.close(() => r()));
      }),
    );
    for (const w of l.wss) for (const c of w.clients) c.terminate();
    await stopped;
    // Leases of the sessions just closed go back before Redis is let go.
    await Promise.all([...ctx.pending]);
    for (const log of Object.values(ctx.refusals)) log.flushAll();
    await release.persistence.destroy().catch(() => undefined);
    await new Promise<void>((r) => a.close(() => r()));
  };
  return { stopAccepting, drain, close };
}
