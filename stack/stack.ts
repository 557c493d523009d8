// The local stack: Redis, Kafka and anvil started by the project itself, or existing services
// named in the configuration (then nothing is started for them). `up` is idempotent, `down`
// leaves no process of ours behind, `status` asks each service whether it really answers.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoints } from '../config/endpoints.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { isItradeError, itradeError, oneLine, type ItradeError } from '../protocol/errors.ts';
import { componentLogger, type Logger } from '../lib/log.ts';
import { resolvePath } from '../lib/paths.ts';
import { freePort, isPortFree } from './ports.ts';
import { probeChain, probeKafka, probeRedis } from '../lib/probes.ts';
import {
  isAlive,
  isOurs,
  readRecord,
  removeRecord,
  spawnDetached,
  stopProcess,
  tail,
  writeRecord,
  type ProcessRecord,
} from './process.ts';
import { chainService } from './services/chain.ts';
import { kafkaService } from './services/kafka.ts';
import { redisService } from './services/redis.ts';
import type { LocalService, ServiceContext, ServiceName } from './services/types.ts';

export const SERVICES: readonly LocalService[] = [redisService, kafkaService, chainService];

export interface ServiceStatus {
  name: ServiceName;
  mode: 'local' | 'external';
  endpoint: string;
  healthy: boolean;
  detail: string;
  pid?: number;
  logFile?: string;
  error?: ItradeError;
}

/** The endpoints of this stack's services, as the gateway takes them (config/endpoints.ts). */
export type { Endpoints };

const PROBES: Record<ServiceName, (endpoint: string, timeoutMs: number) => Promise<string>> = {
  redis: probeRedis,
  kafka: (ep, t) => probeKafka(ep.split(','), t),
  chain: probeChain,
};

export class LocalStack {
  readonly dir: string;
  private readonly log: Logger;

  constructor(
    readonly cfg: ItradeConfig,
    log: Logger,
  ) {
    this.dir = resolvePath(cfg.stack.dir);
    this.log = componentLogger(log, 'stack');
  }

  /** The endpoint an external service was configured with, or undefined for a local one. */
  external(name: ServiceName): string | undefined {
    const v = { redis: this.cfg.redis.url, kafka: this.cfg.kafka.brokers.join(','), chain: this.cfg.chain.rpcUrl }[
      name
    ];
    return v === '' ? undefined : v;
  }

  endpoints(): Endpoints {
    const ep = (s: LocalService) =>
      this.external(s.name) ?? readRecord(this.recordFile(s))?.endpoint ?? s.endpoint(s.wantedPorts(this.cfg));
    return { redisUrl: ep(redisService), kafkaBrokers: ep(kafkaService).split(','), rpcUrl: ep(chainService) };
  }

  async up(opts: { fresh?: boolean } = {}): Promise<ServiceStatus[]> {
    return Promise.all(SERVICES.map((s) => this.upOne(s, opts.fresh ?? false)));
  }

  async status(): Promise<ServiceStatus[]> {
    return Promise.all(SERVICES.map((s) => this.statusOne(s)));
  }

  /** Stops every local service of this stack; returns what was stopped. */
  async down(): Promise<string[]> {
    const stopped = await Promise.all(
      SERVICES.map(async (s) => {
        const file = this.recordFile(s);
        const rec = readRecord(file);
        if (!rec) return undefined;
        // Keep the record with pid 0: a restart reuses the ports, so clients reconnect.
        writeRecord(file, { ...rec, pid: 0 });
        if (!isOurs(rec)) return undefined;
        const how = await stopProcess(rec.pid, s.graceMs);
        this.log.info({ service: s.name, pid: rec.pid, how }, 'service stopped');
        return `${s.name} (pid ${rec.pid}, ${how})`;
      }),
    );
    return stopped.filter((x): x is string => x !== undefined);
  }

  private ctx(s: LocalService): ServiceContext {
    return { cfg: this.cfg, dir: join(this.dir, s.name), log: componentLogger(this.log, `stack.${s.name}`) };
  }

  private recordFile(s: LocalService): string {
    return join(this.dir, s.name, 'process.json');
  }

  private async statusOne(s: LocalService): Promise<ServiceStatus> {
    const ext = this.external(s.name);
    const rec = readRecord(this.recordFile(s));
    const endpoint = ext ?? rec?.endpoint ?? s.endpoint(s.wantedPorts(this.cfg));
    const base = { name: s.name, mode: ext ? ('external' as const) : ('local' as const), endpoint };
    if (!ext && !isOurs(rec)) return { ...base, healthy: false, detail: 'stopped' };
    try {
      const detail = await PROBES[s.name](endpoint, 3000);
      return { ...base, healthy: true, detail, pid: ext ? undefined : rec?.pid, logFile: rec?.logFile };
    } catch (err) {
      return {
        ...base,
        healthy: false,
        detail: `not answering: ${oneLine(err)}`,
        pid: rec?.pid,
        logFile: rec?.logFile,
      };
    }
  }

  private async upOne(s: LocalService, fresh: boolean): Promise<ServiceStatus> {
    try {
      const ext = this.external(s.name);
      if (ext) return await this.checkExternal(s, ext);
      const rec = readRecord(this.recordFile(s));
      if (isOurs(rec)) return await this.waitReady(s, rec, 'already running');
      return await this.start(s, fresh);
    } catch (err) {
      const e = isItradeError(err) ? err : itradeError('STACK_START', `${s.name}: ${oneLine(err)}`, { cause: err });
      const logFile = join(this.dir, s.name, `${s.name}.log`);
      return {
        name: s.name,
        mode: this.external(s.name) ? 'external' : 'local',
        endpoint: this.external(s.name) ?? '',
        healthy: false,
        detail: e.message,
        error: e,
        logFile,
      };
    }
  }

  // An existing service may be busy or still starting: ask a few times before calling it down.
  private async checkExternal(s: LocalService, endpoint: string): Promise<ServiceStatus> {
    const deadline = Date.now() + Math.min(this.cfg.stack.startTimeoutMs, 15_000);
    for (;;) {
      try {
        const detail = await PROBES[s.name](endpoint, 5000);
        return { name: s.name, mode: 'external', endpoint, healthy: true, detail };
      } catch (err) {
        if (Date.now() >= deadline)
          throw itradeError(
            'STACK_UNREACHABLE',
            `${s.name}: configured service ${endpoint} does not answer: ${oneLine(err)}`,
            { cause: err },
          );
        await sleep(500);
      }
    }
  }

  // Start steps, in order: clean up, install, choose ports, prepare, launch, wait until it answers.
  private async start(s: LocalService, fresh: boolean): Promise<ServiceStatus> {
    const ctx = this.ctx(s);
    const file = this.recordFile(s);
    const previous = readRecord(file);
    removeRecord(file);
    if (fresh) rmSync(ctx.dir, { recursive: true, force: true });
    await s.install(ctx);
    const ports = await this.choosePorts(s, previous);
    const launch = await s.prepare(ctx, ports);
    const logFile = join(ctx.dir, `${s.name}.log`);
    rmSync(logFile, { force: true });
    const pid = spawnDetached(launch.cmd, launch.args, { logFile, cwd: ctx.dir, env: launch.env });
    const rec: ProcessRecord = {
      pid,
      marker: s.marker(ctx),
      ports,
      endpoint: s.endpoint(ports),
      logFile,
      startedAt: new Date().toISOString(),
    };
    writeRecord(file, rec);
    ctx.log.info({ pid, ports }, 'service started');
    return this.waitReady(s, rec, 'started');
  }

  private async choosePorts(s: LocalService, previous: ProcessRecord | undefined): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, wanted] of Object.entries(s.wantedPorts(this.cfg))) {
      if (wanted !== 0) {
        if (!(await isPortFree(wanted))) {
          throw itradeError(
            'STACK_PORT_IN_USE',
            `${s.name}: port ${wanted} (stack.${s.name}.${name}) is in use by another process; free it or ` +
              `choose another port`,
          );
        }
        out[name] = wanted;
        continue;
      }
      const again = previous?.ports[name];
      out[name] = again && (await isPortFree(again)) ? again : await freePort();
    }
    return out;
  }

  private async waitReady(s: LocalService, rec: ProcessRecord, how: string): Promise<ServiceStatus> {
    const deadline = Date.now() + this.cfg.stack.startTimeoutMs;
    const logFile = rec.logFile;
    let last: unknown;
    while (Date.now() < deadline) {
      // Alive is enough here: the pid is the one we just spawned (or found ours), and right after
      // spawn its command line may still be the parent's until its exec, without our marker.
      if (!isAlive(rec.pid)) {
        removeRecord(this.recordFile(s));
        throw itradeError('STACK_START', `${s.name} exited during start-up (log: ${logFile})`);
      }
      try {
        const detail = await PROBES[s.name](rec.endpoint, 2000);
        return {
          name: s.name,
          mode: 'local',
          endpoint: rec.endpoint,
          healthy: true,
          detail: `${how}; ${detail}`,
          pid: rec.pid,
          logFile: rec.logFile,
        };
      } catch (err) {
        last = err;
        await sleep(250);
      }
    }
    await stopProcess(rec.pid, s.graceMs);
    removeRecord(this.recordFile(s));
    throw itradeError(
      'STACK_START',
      `${s.name} did not answer within ${this.cfg.stack.startTimeoutMs} ms (log: ${rec.logFile})`,
      { cause: last },
    );
  }
}

export { tail };
