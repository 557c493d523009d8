// What the gateway scenarios run against: the bench's own stack (Redis, Kafka, anvil on free
// ports in .cache/bench-stack, started fresh), a freshly deployed marketplace, and the gateway in
// its own process (so its CPU and RSS are measured alone). stop() undoes all of it.
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { applySets, type ConfigSets } from './config-set.ts';
import { ANVIL_DEV_KEY, deploy } from '../contracts/deploy.ts';
import { validateConfig } from '../config/load.ts';
import type { ConfigInput } from '../config/schema.ts';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { fromRoot } from '../lib/paths.ts';
import { LocalStack, type Endpoints } from '../stack/stack.ts';
import type { Endpoint } from './loadgen/protocol.ts';

/** Provisioned participants of this run (keys, tokens): wiped at every start, the chain is fresh. */
export const BENCH_DATA = fromRoot('.cache', 'bench-stack', 'data');

export const BENCH_JWT_SECRET = 'bench-only-secret-0123456789abcdef0123456789';

export interface GatewayProcess {
  child: ChildProcess;
  mqtt: Endpoint;
  apiUrl: string;
}

export class BenchEnv {
  gateway?: GatewayProcess;
  /** broker.bus of every gateway the bench starts (--bus). */
  bus: 'redis' | 'memory' = 'redis';
  /** Config values over every gateway's config (--set). */
  sets: ConfigSets = [];

  private constructor(
    readonly stack: LocalStack,
    readonly ep: Endpoints,
    readonly marketplace: string,
    readonly marketplaceBlock: number,
    private readonly log: Logger,
  ) {}

  static async start(log: Logger): Promise<BenchEnv> {
    const cfg = validateConfig(
      {
        redis: { url: process.env.ITRADE_REDIS_URL ?? '' },
        kafka: { brokers: (process.env.ITRADE_KAFKA_BROKERS ?? '').split(',').filter(Boolean) },
        chain: { rpcUrl: process.env.ITRADE_RPC_URL ?? '' },
        stack: {
          dir: '.cache/bench-stack',
          startTimeoutMs: 120_000,
          redis: { port: 0 },
          kafka: { port: 0, controllerPort: 0, heapMb: 1024 },
          chain: { port: 0, persistState: false, accounts: 10 },
        },
      },
      'bench stack',
    );
    const stack = new LocalStack(cfg, log);
    const statuses = await stack.up({ fresh: true });
    const bad = statuses.filter((s) => !s.healthy);
    if (bad.length)
      throw itradeError('STACK_START', `bench stack: ${bad.map((s) => `${s.name}: ${s.detail}`).join('; ')}`);
    const ep = stack.endpoints();
    // Profiles of an earlier run belong to a chain that no longer exists.
    rmSync(BENCH_DATA, { recursive: true, force: true });
    const { record } = await deploy({
      rpcUrl: ep.rpcUrl,
      out: fromRoot('.cache', 'bench-stack', 'deployment.json'),
      env: { ...process.env, ITRADE_DEPLOYER_KEY: process.env.ITRADE_DEPLOYER_KEY ?? ANVIL_DEV_KEY },
    });
    return new BenchEnv(stack, ep, record.marketplace.toLowerCase(), record.blockNumber, log);
  }

  /** The gateway's configuration for the bench: every guarantee on, tokens long enough for the run. */
  gatewayConfig(overrides: Partial<ConfigInput> = {}): ConfigInput {
    return validateConfig(
      applySets(
        {
          log: { level: 'warn' },
          redis: { url: this.ep.redisUrl, keyPrefix: 'bench:' },
          kafka: { brokers: this.ep.kafkaBrokers },
          chain: { rpcUrl: this.ep.rpcUrl, marketplace: this.marketplace, marketplaceBlock: this.marketplaceBlock },
          broker: {
            bus: this.bus,
            listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
            http: { host: '127.0.0.1', port: 0 },
            auth: { jwt: { secret: BENCH_JWT_SECRET }, devSecret: false, principalTokenTtlSec: 86400 },
            // One loopback address stands for a whole fleet, and the max scenario offers more per
            // sensor than the production default: the abuse limits would measure themselves.
            limits: { connectRate: { perSec: 0, burst: 1 }, publishRate: { perSec: 0, burst: 1 } },
          },
          // The operator endpoint on a free port, so a gateway the user runs does not clash.
          operator: { http: { host: '127.0.0.1', port: 0 } },
          ...overrides,
        },
        this.sets,
      ),
      'bench gateway',
    ) as ConfigInput;
  }

  async startGateway(cfg: ConfigInput = this.gatewayConfig()): Promise<GatewayProcess> {
    this.gateway = await this.spawnGateway(cfg);
    return this.gateway;
  }

  /** A gateway process of its own (one of several instances); stopGatewayProcess ends it. */
  async spawnGateway(cfg: ConfigInput = this.gatewayConfig()): Promise<GatewayProcess> {
    const child = fork(fromRoot('bench', 'targets', 'gateway-server.ts'), [], {
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the gateway (open it in Chrome DevTools or speedscope).
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ],
      env: { ...process.env, ITRADE_BENCH_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const m = await new Promise<{ port: number; http: number }>((resolve, reject) => {
      child.once('message', (msg: { port: number; http: number }) => resolve(msg));
      child.once('exit', (code) =>
        reject(itradeError('STACK_START', `the bench gateway exited during start-up (${code})`)),
      );
    });
    return { child, mqtt: { host: '127.0.0.1', port: m.port }, apiUrl: `http://127.0.0.1:${m.http}` };
  }

  async stopGateway(): Promise<void> {
    const g = this.gateway;
    this.gateway = undefined;
    if (g) await stopGatewayProcess(g);
  }

  async stop(): Promise<void> {
    await this.stopGateway();
    await this.stack.down();
    this.log.info({}, 'bench stack stopped');
  }
}

export async function stopGatewayProcess(g: GatewayProcess): Promise<void> {
  if (g.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    g.child.once('exit', () => resolve());
    g.child.kill('SIGTERM');
    setTimeout(() => g.child.kill('SIGKILL'), 20_000).unref();
  });
}
