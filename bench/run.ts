// npm run bench [-- --scenarios paper,scaleout,baselines,max,catchup,entitlements,tracing,...] [--duration 60]
// Starts what it needs (its own stack on free ports, a marketplace, the gateway in its own
// process, raw Aedes and Mosquitto for the baselines), runs the scenarios, stops everything, and
// writes results/<time>/result.json, result.md and latency.svg. The figures are printed too.
import { Command } from 'commander';
import { oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { describeSets, parseSets } from './config-set.ts';
import { machineInfo } from './machine.ts';
import { markdown, writeResults, type BenchResult } from './report.ts';
import { SCENARIOS, type ScenarioContext } from './scenarios/index.ts';

const program = new Command('bench')
  .option(
    '--scenarios <list>',
    `comma-separated: ${Object.keys(SCENARIOS).join(', ')}`,
    Object.keys(SCENARIOS).join(','),
  )
  .option('--duration <seconds>', 'length of the paper scenario (the paper ran about an hour)', '60')
  .option('--step <seconds>', 'length of each step of the max scenario', '10')
  .option('--devices <n>', 'devices (and buyers) of the paper scenario', '100')
  .option('--rate <msgs>', 'messages per second per device in the paper scenario', '20')
  .option('--connections <n>', 'idle device connections to open', '5000')
  .option('--storm <n>', 'buyers subscribing at once in the entitlements scenario', '1000')
  .option('--history <n>', 'subscriptions made before the entitlements scenario measures again', '100000')
  .option('--replay-entries <n>', 'entries stored before the replay scenario', '1000000')
  .option('--catchup-entries <n>', 'entries a persistent buyer misses in the catchup scenario', '100000')
  .option('--warmup <seconds>', 'load before each measured run of the paper scenario, not counted', '15')
  .option(
    '--bus <redis|memory>',
    "the gateway's broker.bus: memory for one instance (the paper's set-up), redis as a cluster member",
    'memory',
  )
  .option(
    '--set <key=value>',
    'a gateway config value for every gateway the bench starts, e.g. bridge.producer.lingerMs=0 (repeatable)',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option('--out <dir>', 'results folder', 'results')
  .parse();

type Opts = {
  scenarios: string;
  duration: string;
  step: string;
  devices: string;
  rate: string;
  connections: string;
  storm: string;
  history: string;
  replayEntries: string;
  catchupEntries: string;
  warmup: string;
  bus: string;
  set: string[];
  out: string;
};

async function main(): Promise<void> {
  const o = program.opts<Opts>();
  const names = o.scenarios
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const sets = parseSets(o.set);
  if (o.bus !== 'redis' && o.bus !== 'memory') throw new Error(`--bus must be redis or memory, not ${o.bus}`);
  for (const n of names)
    if (!(n in SCENARIOS)) throw new Error(`unknown scenario ${n} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const result: BenchResult = {
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: { ...o },
    runs: [],
    figures: {},
    goals: [],
    notes: [],
  };
  console.log(`machine: ${JSON.stringify(result.machine)}`);
  if (sets.length > 0) result.notes.push(`Every gateway ran with --set ${describeSets(sets)}.`);
  const ctx: ScenarioContext = {
    log: createLogger({ level: (process.env.BENCH_LOG as 'warn' | undefined) ?? 'warn' }),
    say: (s) => console.log(s),
    result,
    opts: {
      durationMs: Number(o.duration) * 1000,
      stepMs: Number(o.step) * 1000,
      devices: Number(o.devices),
      rate: Number(o.rate),
      connections: Number(o.connections),
      storm: Number(o.storm),
      history: Number(o.history),
      replayEntries: Number(o.replayEntries),
      catchupEntries: Number(o.catchupEntries),
      warmupMs: Number(o.warmup) * 1000,
      bus: o.bus === 'redis' ? 'redis' : 'memory',
      sets,
    },
    cleanups: [],
  };
  try {
    for (const n of names) {
      console.log(`== ${n}`);
      await SCENARIOS[n]!(ctx);
    }
  } finally {
    for (const c of ctx.cleanups.reverse())
      await c().catch((err: unknown) => console.error(`cleanup: ${oneLine(err)}`));
  }
  const dir = writeResults(result, o.out);
  console.log(markdown(result));
  console.log(`results in ${dir}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${oneLine(err)}`);
  process.exitCode = 1;
});
