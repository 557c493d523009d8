// `itrade gateway`: one gateway in the foreground until SIGTERM or SIGINT. The first signal
// starts the graceful shutdown (gateway.ts close(): listeners, in-flight publishes, sessions,
// bridge drain, Redis) and the command exits 0 when it is done; a second signal, or a shutdown
// longer than operator.shutdown.timeoutMs, ends the process at once with a non-zero code.
import type { ItradeConfig } from '../config/schema.ts';
import { errorCode } from '../protocol/errors.ts';
import { exitForSignal } from './exit.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { componentLogger, type Logger } from '../lib/log.ts';
import { startGateway, type GatewayHandle } from '../gateway/gateway.ts';

export interface RunOptions<G extends Pick<GatewayHandle, 'close'> = GatewayHandle> {
  log: Logger;
  /** Ends the process at once (process.exit); only for a forced exit. */
  exit: (code: number) => void;
  /** Told once the gateway listens (tests). */
  started?: (gw: G) => void;
  /** Starts the gateway (default: startGateway; unit tests pass a stand-in). */
  start?: (cfg: ItradeConfig, log: Logger) => Promise<G>;
  /** Times the shutdown deadline (default: the system clock; unit tests move a fake one). */
  clock?: Clock;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function runGateway<G extends Pick<GatewayHandle, 'close'> = GatewayHandle>(
  cfg: ItradeConfig,
  opts: RunOptions<G>,
): Promise<number> {
  const log = componentLogger(opts.log, 'gateway');
  const clock = opts.clock ?? systemClock;
  const start = opts.start ?? ((c: ItradeConfig, l: Logger) => startGateway(c, { log: l }) as unknown as Promise<G>);
  const gw = await start(cfg, opts.log);
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: (typeof SIGNALS)[number]): void => {
      if (stopping) {
        log.error(
          { signal, code: errorCode('GATEWAY_FORCED_EXIT') },
          'second signal: exiting now without finishing the shutdown',
        );
        return opts.exit(exitForSignal(signal));
      }
      stopping = true;
      log.info(
        { signal, timeoutMs: cfg.operator.shutdown.timeoutMs },
        'signal received: shutting down gracefully (send it again to force)',
      );
      const timer = clock.setTimeout(() => {
        log.error(
          { code: errorCode('GATEWAY_FORCED_EXIT'), timeoutMs: cfg.operator.shutdown.timeoutMs },
          'shutdown did not finish in time: exiting',
        );
        opts.exit(1);
      }, cfg.operator.shutdown.timeoutMs);
      gw.close().then(
        () => {
          clock.clearTimeout(timer);
          for (const [s, l] of listeners) process.removeListener(s, l);
          resolve(0);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          for (const [s, l] of listeners) process.removeListener(s, l);
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    const listeners = SIGNALS.map((s) => [s, () => onSignal(s)] as const);
    for (const [s, l] of listeners) process.on(s, l);
    opts.started?.(gw);
  });
}
