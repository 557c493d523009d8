// npm run stack:up | stack:down | stack:status [-- --config FILE]
import { loadConfigFile } from '../config/load.ts';
import { oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { configPath } from '../lib/paths.ts';
import { runStackCommand, type StackCommand } from '../stack/cli.ts';

const [cmd, ...rest] = process.argv.slice(2);
const i = rest.indexOf('--config');
const file = configPath(i >= 0 ? rest[i + 1] : undefined);

if (cmd !== 'up' && cmd !== 'down' && cmd !== 'status') {
  console.error('usage: stack.ts up|down|status [--config FILE]');
  process.exit(2);
}
try {
  const cfg = loadConfigFile(file);
  const log = createLogger({ level: cfg.log.level === 'info' ? 'warn' : cfg.log.level });
  process.exitCode = await runStackCommand(cmd as StackCommand, cfg, log);
} catch (err) {
  console.error(`stack ${cmd}: ${oneLine(err)}`);
  process.exitCode = 1;
}
