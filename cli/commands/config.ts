// itrade config check FILE
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.ts';
import { enforceProfile } from '../../config/audit.ts';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { CountryDb } from '../../sovereignty/countries.ts';

export function registerConfig(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = program.command('config').description('Work with the configuration file');
  cmd
    .command('check')
    .description(
      'Validate a configuration file: prints "ok" and a warning per insecure setting, or the first problem with ' +
        'its key (and, under the production profile, an insecure setting it refuses), exit 0 or 3',
    )
    .argument('<file>', 'YAML configuration file')
    .action((file: string) => {
      const cfg = loadConfigFile(resolve(file));
      const findings = enforceProfile(cfg);
      ctx().out(`${file}: ok (${Object.keys(cfg).length} sections)`);
      for (const f of findings) ctx().out(`warning: ${f.key}: ${f.why}`);
      const db = CountryDb.describe();
      const c = cfg.sovereignty.countries;
      const use = c.allow.length + c.deny.length > 0 ? 'used by sovereignty.countries' : 'not used';
      ctx().out(`country database: ${db.source} ${db.version}, data of ${db.date} (${use})`);
      setExit(EXIT.ok);
    });
}
