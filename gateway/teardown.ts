// The graceful shutdown of the composition root (docs/operations.md, "Shutdown"), and what the
// gateway lets go of, in one fixed order whatever order it was started in. Sessions close before
// the services (no publish reaches a bridge that is draining); the HTTP API waits for the bridge
// (its history streams end with the store); the operator endpoint stays until the end (/readyz
// says "shutting down", /metrics stays scrapeable); Redis is last.
import type { FastifyInstance } from 'fastify';
import type { BrokerHandle } from '../broker/server.ts';
import type { Logger } from '../lib/log.ts';

export const TEARDOWN_ORDER = [
  // First: the instance leaves the operator's client list before its clients go.
  'admin roster',
  'broker sessions',
  'catalogue',
  'bridge and key service',
  'chain',
  'http api',
  'readiness checks',
  'operator endpoint',
  'tracing',
  'redis',
] as const;
export type TeardownStep = (typeof TEARDOWN_ORDER)[number];

export class Teardown {
  private readonly steps = new Map<TeardownStep, () => Promise<unknown> | void>();

  set(name: TeardownStep, step: () => Promise<unknown> | void): void {
    this.steps.set(name, step);
  }

  /** Runs every registered step once, in TEARDOWN_ORDER; a failing step does not stop the rest. */
  async run(failed: (name: string, err: unknown) => void): Promise<void> {
    for (const name of TEARDOWN_ORDER) {
      const step = this.steps.get(name);
      this.steps.delete(name);
      if (!step) continue;
      try {
        await step();
      } catch (err) {
        failed(name, err);
      }
    }
  }
}

export interface Stopping {
  broker: Pick<BrokerHandle, 'stopAccepting' | 'drain' | 'ctx'>;
  api: FastifyInstance | undefined;
  /** Set first: /readyz answers 503 "shutting down" from then on. */
  closing: { value: boolean };
  teardown: Teardown;
  drainMs: number;
  log: Logger;
}

export async function shutdown(s: Stopping): Promise<void> {
  const { broker, teardown, log } = s;
  const t0 = Date.now();
  s.closing.value = true;
  // 1. No new connections anywhere; fastify answers 503 on open keep-alive connections.
  broker.stopAccepting();
  const apiClosed = s.api?.close();
  if (apiClosed) teardown.set('http api', () => apiClosed);
  log.info(
    { inFlight: broker.ctx.inflight.size, drainTimeoutMs: s.drainMs },
    'shutting down: listeners closed, finishing in-flight publishes',
  );
  // 2. Publishes inside the broker finish: Kafka acknowledges them and their PUBACKs go out.
  const left = await broker.drain(s.drainMs);
  if (left > 0)
    log.warn(
      { unacknowledged: left },
      'in-flight publishes still waiting for Kafka: they get no PUBACK, devices resend them',
    );
  // 3. sessions, 4. bridge drain and key service, then the rest, in TEARDOWN_ORDER.
  await teardown.run((name, err) => log.warn({ err, step: name }, 'shutdown step failed'));
  log.info({ ms: Date.now() - t0 }, 'gateway stopped');
}
