// itrade config check FILE
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.ts';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerConfig(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = program.command('config').description('Work with the configuration file');
  cmd
    .command('check')
    .description('Validate a configuration file: prints "ok" or the first problem with its key, exit 0 or 3')
    .argument('<file>', 'YAML configuration file')
    .action((file: string) => {
      const cfg = loadConfigFile(resolve(file));
      ctx().out(`${file}: ok (${Object.keys(cfg).length} sections)`);
      setExit(EXIT.ok);
    });
}
