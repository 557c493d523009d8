// itrade deploy [--rpc-url URL] [--out FILE]: deploys a DataMarketplace with chain.deploy's
// parameters and records it in chain.deploymentFile (contracts/deploy.ts), showing each step
// that waits for the chain.
import { InvalidArgumentError, type Command } from 'commander';
import { deploy } from '../../contracts/deploy.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { Progress } from '../progress.ts';

export function registerDeploy(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  program
    .command('deploy')
    .summary('Deploy the DataMarketplace contract and record it')
    .description(
      'Deploy the DataMarketplace contract and record its address in chain.deploymentFile (key: ' +
        "ITRADE_DEPLOYER_KEY; the local stack uses anvil's dev key)",
    )
    .option('--rpc-url <url>', "JSON-RPC URL (default: chain.rpcUrl, else the local stack's anvil)", (v: string) => {
      if (!/^(https?|wss?):\/\/.+/.test(v)) throw new InvalidArgumentError('must be an http(s):// or ws(s):// URL');
      return v;
    })
    .option('--out <file>', 'deployment file to write (default: chain.deploymentFile)')
    .action(async (opts: { rpcUrl?: string; out?: string }) => {
      const c = ctx();
      const progress = new Progress(c.err);
      const { file, record } = await progress.around(
        deploy({ config: c.configFile, rpcUrl: opts.rpcUrl, out: opts.out, progress: (s) => progress.step(s) }),
      );
      c.out(
        `DataMarketplace ${record.marketplace} on chain ${record.chainId}, block ${record.blockNumber} ` +
          `(deployer ${record.deployer})`,
      );
      c.out(`recorded in ${file}`);
      setExit(EXIT.ok);
    });
}
