// `tsx gateway/main.ts --config FILE`: runs one gateway until SIGINT/SIGTERM.
// `tsx gateway/main.ts --config FILE --operator-token [name]`: prints an operator JWT and exits
// (the bearer for POST /v1/admin/revoke and the MQTT password for $SYS).
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { loadConfigFile } from '../config/load.ts';
import { oneLine } from '../lib/errors.ts';
import { configPath } from '../lib/paths.ts';
import { createLogger } from '../lib/log.ts';
import { LocalStack } from '../stack/stack.ts';
import { TokenService } from '../broker/auth/jwt.ts';
import { startGateway } from './gateway.ts';

const program = new Command()
  .name('gateway')
  .option('-c, --config <file>', 'configuration file (default: $ITRADE_CONFIG or config/itrade.yaml)')
  .option('--operator-token [name]', 'print an operator token and exit')
  .parse();
const opts = program.opts<{ config?: string; operatorToken?: string | boolean }>();

async function main(): Promise<void> {
  const cfg = loadConfigFile(configPath(opts.config));
  const log = createLogger({ level: cfg.log.level });
  if (opts.operatorToken !== undefined) {
    const name = typeof opts.operatorToken === 'string' ? opts.operatorToken : 'operator';
    let secret = cfg.broker.auth.jwt.secret;
    if (secret === '' && cfg.broker.auth.jwt.alg === 'HS256') {
      const redis = new Redis(new LocalStack(cfg, log).endpoints().redisUrl);
      secret = (await redis.get(`${cfg.redis.keyPrefix}dev:jwt-secret`)) ?? '';
      await redis.quit();
    }
    const tokens = await TokenService.create(cfg.broker.auth.jwt, secret);
    console.log((await tokens.issueOperator(name, cfg.broker.auth.operatorTokenTtlSec)).token);
    return;
  }
  const gw = await startGateway(cfg, { log });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      gw.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error(`gateway: ${oneLine(err)}`);
  process.exit(1);
});
