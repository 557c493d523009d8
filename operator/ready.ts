// /readyz: can this instance serve? Redis, Kafka and the chain each answer a real request within
// operator.readyTimeoutMs. The checks reuse long-lived clients (the gateway's Redis connection,
// one Kafka admin connection kept open, fetch's keep-alive pool for the node), so a scrape
// opens no new connection, and scrapes arriving together share one round of checks.
import type { Admin } from 'kafkajs';
import { Kafka, logLevel } from '../lib/kafkajs.ts';
import type { Redis } from 'ioredis';
import { oneLine } from '../protocol/errors.ts';
import { probeChain } from '../lib/probes.ts';
import type { KafkaSecurity } from '../config/clients.ts';

export interface ReadyCheck {
  name: string;
  /** Resolves with a short detail when the service answers; rejects when it does not. */
  check(timeoutMs: number): Promise<string>;
  close?(): Promise<void>;
}

export interface CheckResult {
  ok: boolean;
  detail: string;
  ms: number;
}

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export class Readiness {
  private running: Promise<ReadyReport> | undefined;

  constructor(
    private readonly checks: readonly ReadyCheck[],
    private readonly timeoutMs: number,
  ) {}

  report(): Promise<ReadyReport> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ReadyReport> {
    const results = await Promise.all(this.checks.map((c) => this.one(c)));
    const checks = Object.fromEntries(this.checks.map((c, i) => [c.name, results[i]!]));
    return { ready: results.every((r) => r.ok), checks };
  }

  private async one(c: ReadyCheck): Promise<CheckResult> {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)),
    );
    try {
      return { ok: true, detail: await Promise.race([c.check(this.timeoutMs), timeout]), ms: Date.now() - t0 };
    } catch (err) {
      return { ok: false, detail: oneLine(err), ms: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.checks.map((c) => c.close?.().catch(() => undefined)));
  }
}

export function redisCheck(redis: Redis): ReadyCheck {
  return { name: 'redis', check: async () => `PING ${await redis.ping()}` };
}

/**
 * Kafka answers a metadata request on a kept-open admin connection, and the bridge's writes are
 * not stalled (a cluster can answer metadata while refusing writes: under min.insync.replicas).
 */
export function kafkaCheck(
  brokers: readonly string[],
  clientId: string,
  writesFlowing?: () => boolean,
  security: KafkaSecurity = {},
): ReadyCheck {
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  let closed = false;
  return {
    name: 'kafka',
    async check(timeoutMs) {
      if (closed) throw new Error('the gateway is shutting down');
      admin ??= new Kafka({
        ...security,
        brokers: [...brokers],
        clientId: `${clientId}-ready`,
        logLevel: logLevel.NOTHING,
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        retry: { retries: 0 },
      }).admin();
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const c = await admin.describeCluster();
      if (writesFlowing && !writesFlowing())
        throw new Error("the bridge's writes to Kafka are stalled (itrade_bridge_kafka_available is 0)");
      return `${c.brokers.length} broker(s), controller ${c.controller ?? 'none'}`;
    },
    // A connect still under way is let finish first: disconnecting before it ends would leave its
    // connection open, and the process with it.
    async close() {
      closed = true;
      await connected?.catch(() => undefined);
      await admin?.disconnect();
    },
  };
}

/** The node answers, and a marketplace is known (without one every chain check fails closed). */
export function chainCheck(rpcUrl: string, marketplace?: string): ReadyCheck {
  return {
    name: 'chain',
    async check(timeoutMs) {
      const node = await probeChain(rpcUrl, timeoutMs);
      if (marketplace === '')
        throw new Error(
          `${node}, but no marketplace is configured (chain.marketplace) or deployed (chain.deploymentFile)`,
        );
      return marketplace ? `${node}, marketplace ${marketplace}` : node;
    },
  };
}
