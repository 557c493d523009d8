// itrade gateway: broker, bridge, HTTP API and operator endpoint from the configuration file, in
// the foreground; itrade operator-token [name]: an operator JWT for the admin API and $SYS.
import { InvalidArgumentError, type Command } from 'commander';
import { runGateway } from '../run-gateway.ts';
import { OPERATOR_NAME, issueOperatorToken } from '../../auth/operator-token.ts';
import type { ItradeConfig } from '../../config/schema.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { LocalStack } from '../../stack/stack.ts';
import type { CliContext } from '../context.ts';

export function registerGateway(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  program
    .command('gateway')
    .summary('Run the gateway in the foreground until SIGTERM/SIGINT')
    .description(
      'Run the gateway (MQTT broker, Kafka bridge, HTTP API, operator endpoint) in the foreground; JSON logs on ' +
        'stdout. SIGTERM/SIGINT: graceful shutdown, exit 0; a second signal forces exit 130/143',
    )
    .action(async () => {
      const c = ctx();
      const cfg = c.config();
      const log = createLogger({ level: c.opts.verbose ? 'debug' : cfg.log.level });
      // Redis, Kafka or the node left empty in the configuration: the local stack's.
      const endpoints = new LocalStack(cfg, log).endpoints();
      const start = (conf: ItradeConfig, l: Logger) => startGateway(conf, { log: l, endpoints });
      setExit(await runGateway(cfg, { log, exit: (code) => process.exit(code), start }));
    });

  program
    .command('operator-token')
    .summary('Print an operator token')
    .description(
      'Print an operator token (bearer of POST /v1/admin/revoke, MQTT password for $SYS), valid ' +
        'broker.auth.operatorTokenTtlSec',
    )
    .argument(
      '[name]',
      'operator name (A-Z a-z 0-9 _ . -, at most 64)',
      (v: string) => {
        if (!OPERATOR_NAME.test(v)) throw new InvalidArgumentError('use 1 to 64 of A-Z a-z 0-9 _ . -');
        return v;
      },
      'operator',
    )
    .action(async (name: string) => {
      const c = ctx();
      const cfg = c.config();
      // The development secret lives in the Redis of the local stack unless redis.url names one.
      const redisUrl = new LocalStack(cfg, createLogger({ level: 'silent' })).endpoints().redisUrl;
      const t = await issueOperatorToken(cfg, name, redisUrl);
      c.out(t.token);
      c.err(`operator:${name}, expires ${new Date(t.expiresAt * 1000).toISOString()}`);
      setExit(0);
    });
}
