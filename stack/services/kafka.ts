// Local Apache Kafka: one JVM in KRaft mode (broker + controller), jars fetched from Maven
// Central with the pinned stack/kafka/pom.xml into .cache/kafka/<version>/libs.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itradeError } from '../../protocol/errors.ts';
import { CACHE_DIR, fromRoot } from '../../lib/paths.ts';
import { execFileAsync, javaMajorVersion, which } from '../tools.ts';
import type { LocalService, ServiceContext } from './types.ts';

const POM = fromRoot('stack', 'kafka', 'pom.xml');
const LOG4J = fromRoot('stack', 'kafka', 'log4j2.properties');

export function kafkaVersion(): string {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!m) throw new Error(`${POM}: no <kafka.version>`);
  return m[1]!;
}

export function kafkaLibs(): string {
  return join(CACHE_DIR, 'kafka', kafkaVersion(), 'libs');
}

function javaBinary(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : which('java');
  if (!java || !existsSync(java)) {
    throw itradeError(
      'STACK_TOOL_MISSING',
      'java not found: Kafka needs Java 17 or newer (Debian: apt-get install -y openjdk-17-jre-headless), or ' +
        'set kafka.brokers to an existing Kafka',
    );
  }
  return java;
}

async function fetchJars(ctx: ServiceContext): Promise<void> {
  const libs = kafkaLibs();
  if (existsSync(join(libs, `kafka_2.13-${kafkaVersion()}.jar`))) return;
  const mvn = which('mvn');
  if (!mvn)
    throw itradeError(
      'STACK_TOOL_MISSING',
      'mvn not found: the Kafka jars come from Maven Central through Maven (Debian: apt-get install -y maven), ' +
        'or set kafka.brokers to an existing Kafka',
    );
  const tmp = `${libs}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  ctx.log.info({ version: kafkaVersion() }, 'fetching Kafka jars from Maven Central');
  try {
    await execFileAsync(
      mvn,
      ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'],
      { maxBuffer: 64 << 20 },
    );
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw itradeError('STACK_INSTALL', `mvn could not fetch the Kafka ${kafkaVersion()} jars (see ${POM})`, {
      cause: err,
    });
  }
  // Publish the folder whole, so an interrupted download never looks complete.
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(join(libs, '..'), { recursive: true });
  renameSync(tmp, libs);
}

function serverProperties(dataDir: string, ports: Record<string, number>): string {
  return [
    '# Written by the ITrade stack manager at every start; edit stack/services/kafka.ts instead.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${ports.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${ports.port},CONTROLLER://127.0.0.1:${ports.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    // Single node: every internal topic has one replica; few partitions keep start-up quick.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

export const kafkaService: LocalService = {
  name: 'kafka',
  marker: (ctx) => join(ctx.dir, 'server.properties'),
  wantedPorts: (cfg) => ({ port: cfg.stack.kafka.port, controllerPort: cfg.stack.kafka.controllerPort }),
  graceMs: 30_000,

  async install(ctx) {
    const java = javaBinary();
    const major = await javaMajorVersion(java);
    if (major < 17)
      throw itradeError(
        'STACK_TOOL_MISSING',
        `${java} is Java ${major}: Kafka ${kafkaVersion()} needs Java 17 or newer (set JAVA_HOME)`,
      );
    await fetchJars(ctx);
  },

  async prepare(ctx, ports) {
    const dataDir = join(ctx.dir, 'data');
    const props = join(ctx.dir, 'server.properties');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(props, serverProperties(dataDir, ports));
    const cp = join(kafkaLibs(), '*');
    const java = javaBinary();
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      // A KRaft cluster id is 16 random bytes, base64url without padding; one that starts with
      // "-" would be read by StorageTool as an option (format failed on 1 start in 64).
      let clusterId: string;
      do clusterId = randomBytes(16).toString('base64url');
      while (clusterId.startsWith('-'));
      await execFileAsync(
        java,
        [
          '-Xmx256m',
          `-Dlog4j2.configurationFile=${LOG4J}`,
          '-cp',
          cp,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          props,
        ],
        { maxBuffer: 16 << 20 },
      ).catch((err: unknown) => {
        throw itradeError('STACK_START', `kafka storage format failed in ${dataDir}`, { cause: err });
      });
    }
    const heap = ctx.cfg.stack.kafka.heapMb;
    const jvm = [
      `-Xms${Math.min(heap, 256)}m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
    ];
    return { cmd: java, args: [...jvm, `-Dlog4j2.configurationFile=${LOG4J}`, '-cp', cp, 'kafka.Kafka', props] };
  },

  endpoint: (ports) => `127.0.0.1:${ports.port}`,
};
