// itrade deploy [--rpc-url URL] [--chain-id N] [--out FILE]: deploys a DataMarketplace with
// chain.deploy's parameters and records it in chain.deploymentFile (contracts/deploy.ts),
// showing each step that waits for the chain.
import { InvalidArgumentError, type Command } from 'commander';
import { deploy, deployedLines, parseChainId } from '../../contracts/deploy.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { Progress } from '../progress.ts';

export function registerDeploy(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  program
    .command('deploy')
    .summary('Deploy the DataMarketplace contract and record it')
    .description(
      'Deploy the DataMarketplace contract and record its address ' +
        'in chain.deploymentFile (key: ITRADE_DEPLOYER_KEY; the ' +
        "local stack uses anvil's dev key; the node must serve the " +
        'chain --chain-id or chain.chainId names, if one is named)',
    )
    .option('--rpc-url <url>', "JSON-RPC URL (default: chain.rpcUrl, else the local stack's anvil)", (v: string) => {
      if (!/^(https?|wss?):\/\/.+/.test(v)) throw new InvalidArgumentError('must be an http(s):// or ws(s):// URL');
      return v;
    })
    .option(
      '--chain-id <id>',
      'the chain the node must serve (default: chain.chainId; the local stack needs none)',
      parseChainId,
    )
    .option('--out <file>', 'deployment file to write (default: chain.deploymentFile for the chain id)')
    .action(async (opts: { rpcUrl?: string; chainId?: number; out?: string }) => {
      const c = ctx();
      const progress = new Progress(c.err);
      const done = await progress.around(
        deploy({
          config: c.configFile,
          rpcUrl: opts.rpcUrl,
          chainId: opts.chainId,
          out: opts.out,
          progress: (s) => progress.step(s),
        }),
      );
      for (const line of deployedLines(done)) c.out(line);
      setExit(EXIT.ok);
    });
}
