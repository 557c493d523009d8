// `npm start`: the live demo on a fresh clone. Brings up the local stack, deploys the marketplace
// when this chain has none, starts the gateway in a child process, and runs the simulator in demo
// mode (a few devices, a couple of buyers, every decrypted reading printed) until Ctrl-C. Then it
// stops the gateway it started; the stack stays up (`npm run stack:down` stops it).
//   npm start -- [--devices N] [--buyers M] [--rate R] [--rotate-every S]
import { Command } from 'commander';
import { HDNodeWallet } from 'ethers';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigFile } from '../config/load.ts';
import type { ItradeConfig } from '../config/schema.ts';
import { deploy } from '../contracts/deploy.ts';
import { resolveMarketplace } from '../contracts/deployment.ts';
import { chainProvider } from '../participant/chain.ts';
import { gatewayUrls, marketDir } from '../participant/endpoints.ts';
import { GatewayApi } from '../sdk/node.ts';
import { runSim } from '../firmware-sim/sim.ts';
import { isItradeError, itradeError, oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { configPath, fromRoot, PROJECT_ROOT } from '../lib/paths.ts';
import { formatStatus } from '../stack/cli.ts';
import { isAlive, spawnDetached, stopProcess, tail } from '../stack/process.ts';
import { LocalStack } from '../stack/stack.ts';
import { buildWebApp } from '../web/build.ts';

const opts = new Command('start')
  .option('--devices <n>', 'simulated sensors', Number, 3)
  .option('--buyers <n>', 'simulated buyers', Number, 2)
  .option('--rate <per-second>', 'readings per second per device', Number, 1)
  .option('--rotate-every <seconds>', "rotate the sensors' keys this often (0: never)", Number, 60)
  .parse(process.argv)
  .opts<{ devices: number; buyers: number; rate: number; rotateEvery: number }>();

const say = (line: string) => console.log(line);
const log = createLogger({ level: 'warn' });

async function stackUp(cfg: ItradeConfig): Promise<void> {
  say('starting the local stack (Redis, Kafka, anvil; the first start downloads the Kafka jars) ...');
  const statuses = await new LocalStack(cfg, log).up();
  for (const s of statuses) say(`  ${formatStatus(s)}`);
  const failed = statuses.find((s) => !s.healthy);
  if (failed) throw failed.error ?? itradeError('STACK_START', `${failed.name}: ${failed.detail}`);
}

/** The marketplace this chain has, deployed first when the record is missing or stale. */
async function marketplace(cfg: ItradeConfig, file: string): Promise<{ address: string; chainId: number }> {
  const provider = chainProvider(new LocalStack(cfg, log).endpoints().rpcUrl);
  try {
    const chainId = Number((await provider.getNetwork()).chainId);
    try {
      return { address: (await resolveMarketplace(cfg, provider)).address.toLowerCase(), chainId };
    } catch (err) {
      const redeploy =
        cfg.chain.marketplace === '' &&
        (isItradeError(err, 'CHAIN_DEPLOYMENT_MISSING') || isItradeError(err, 'CHAIN_DEPLOYMENT_STALE'));
      if (!redeploy) throw err;
      say(`no marketplace on this chain yet (${oneLine(err)}): deploying ...`);
      const d = await deploy({ config: file });
      say(`  DataMarketplace ${d.record.marketplace}, block ${d.record.blockNumber}, recorded in ${d.file}`);
      return { address: d.record.marketplace.toLowerCase(), chainId };
    }
  } finally {
    provider.destroy();
  }
}

/** Starts `itrade gateway` in its own process group (Ctrl-C reaches only us; we stop it last). */
async function startGateway(cfg: ItradeConfig, file: string): Promise<number | undefined> {
  const api = new GatewayApi(gatewayUrls(cfg).apiUrl);
  if (await api.health()) {
    say(`a gateway already answers on ${api.baseUrl}: using it`);
    return undefined;
  }
  const logFile = fromRoot('.cache', 'start', 'gateway.log');
  const pid = spawnDetached(process.execPath, [join(PROJECT_ROOT, 'bin', 'itrade.mjs'), 'gateway', '--config', file], {
    logFile,
    cwd: PROJECT_ROOT,
  });
  process.once('exit', () => isAlive(pid) && process.kill(-pid, 'SIGTERM'));
  const deadline = Date.now() + 60_000;
  while (!(await api.health())) {
    if (!isAlive(pid) || Date.now() > deadline) {
      say(`--- last lines of ${logFile} ---\n${tail(logFile, 20)}\n---`);
      throw itradeError('SIM_GATEWAY_UNREACHABLE', `the gateway did not start (log ${logFile})`);
    }
    await sleep(250);
  }
  say(`gateway running (pid ${pid}): MQTT ${gatewayUrls(cfg).mqttUrl}, HTTP ${api.baseUrl}, log ${logFile}`);
  return pid;
}

// anvil's deterministic dev accounts (public, local use only); account 0 deploys the marketplace.
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** Builds the web app and says where it is and which accounts a newcomer can import into a wallet. */
async function webApp(cfg: ItradeConfig): Promise<void> {
  if (!cfg.web.enabled) return;
  await buildWebApp();
  say(`web app: ${gatewayUrls(cfg).apiUrl}/app/ (docs/web.md)`);
  say(`  wallet network: RPC ${new LocalStack(cfg, log).endpoints().rpcUrl}, chain id 31337 (anvil)`);
  say('  demo accounts to import into the wallet (anvil dev accounts: public keys, local use only):');
  for (const i of [1, 2]) {
    const w = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    say(`    ${w.address}  private key ${w.privateKey}`);
  }
}

async function demo(
  cfg: ItradeConfig,
  market: { address: string; chainId: number },
  signal: AbortSignal,
): Promise<void> {
  const urls = gatewayUrls(cfg);
  say('running the live demo; Ctrl-C stops it');
  await runSim({
    rpcUrl: new LocalStack(cfg, log).endpoints().rpcUrl,
    apiUrl: urls.apiUrl,
    mqttUrl: urls.mqttUrl,
    marketplace: market.address,
    dataDir: join(marketDir(market.chainId, market.address), 'demo'),
    devices: opts.devices,
    sellers: Math.min(2, opts.devices),
    buyers: opts.buyers,
    sensorsPerBuyer: 2,
    rateHz: opts.rate,
    durationSec: 0,
    replay: true,
    replayAtSec: 10,
    ...(opts.rotateEvery > 0 ? { rotateEverySec: opts.rotateEvery } : {}),
    demo: true,
    progressEveryMs: 10_000,
    signal,
    out: say,
    log,
  });
}

async function main(): Promise<number> {
  const file = configPath();
  const cfg = loadConfigFile(file);
  const ac = new AbortController();
  process.once('SIGINT', () => {
    say('\nstopping (Ctrl-C again to quit at once) ...');
    ac.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  await stackUp(cfg);
  const market = await marketplace(cfg, file);
  const pid = await startGateway(cfg, file);
  try {
    await webApp(cfg);
    await demo(cfg, market, ac.signal);
  } finally {
    if (pid !== undefined) {
      await stopProcess(pid, 15_000);
      say('stopped the gateway');
    }
    say('the local stack (Redis, Kafka, anvil) is still running: `npm run stack:down` stops it');
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`start: ${oneLine(err)}`);
    process.exitCode = 1;
  },
);
