// itrade principal register | token
import type { Command } from 'commander';
import { login, registerPrincipal } from '../../participant/market-ops.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, withMarket, type MarketOptions } from '../market-session.ts';

interface RegisterOptions extends MarketOptions {
  name?: string;
  url: string;
  email?: string;
  accountKeyEnv?: string;
}

export function registerPrincipalCommand(
  program: Command,
  ctx: () => CliContext,
  setExit: (code: number) => void,
): void {
  const cmd = program
    .command('principal')
    .description('Your market identity: a DataStreamPrincipal with an RSA key pair (seller, buyer or both)');
  marketOptions(cmd.command('register'))
    .description(
      'Register your account as a principal with a new RSA key pair (public key on chain, private key in the ' +
        'profile, 0600); prints the principal address',
    )
    .option('--name <name>', 'public name (default: the profile name)')
    .option('--url <url>', 'public URL', 'https://example.org')
    .option('--email <email>', 'public contact address (default: <profile>@example.org)')
    .option(
      '--account-key-env <VAR>',
      'use the account whose private key is in this environment variable (default: a new account, funded on a ' +
        'local chain)',
    )
    .action((o: RegisterOptions) =>
      withMarket(ctx(), o, async (s) => {
        const c = ctx();
        const p = s.openOrCreate(o.accountKeyEnv);
        c.err(`registering account ${p.address} as a principal on chain ${s.ctx.chainId} ...`);
        const name = o.name ?? (o.profile ?? 'default').split('/').filter(Boolean).at(-1)!;
        const r = await registerPrincipal(s.ctx, p, { name, url: o.url, email: o.email ?? `${name}@example.org` });
        c.err(
          r.created ? `registered; RSA private key in ${p.principalKeyFile}` : `already registered (profile ${p.dir})`,
        );
        c.out(r.principal);
        setExit(EXIT.ok);
      }),
    );
  marketOptions(cmd.command('token'))
    .description(
      'Log in to the gateway (a challenge signed by your account) and print a principal JWT: the MQTT password ' +
        'of a buyer or key agent',
    )
    .action((o: MarketOptions) =>
      withMarket(ctx(), o, async (s) => {
        ctx().out(await login(s.ctx, s.profile()));
        setExit(EXIT.ok);
      }),
    );
}
