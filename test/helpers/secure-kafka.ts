// A second, private Kafka for the TLS and SASL tests: the stack's jars and JVM settings, in
// KRaft mode, with a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) that also wants a
// client certificate of the test CA, beside a PLAINTEXT listener the broker uses for itself.
// Users: alice (PLAIN), bob (SCRAM-SHA-256), carol (SCRAM-SHA-512); SCRAM users are written
// into the metadata log when the storage is formatted (kafka-storage --add-scram).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from '../../lib/kafkajs.ts';
import { fromRoot } from '../../lib/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { kafkaLibs } from '../../stack/services/kafka.ts';
import type { TestPki } from './pki.ts';

export const KAFKA_USERS = {
  plain: { username: 'alice', password: 'alice-secret-1' },
  'scram-sha-256': { username: 'bob', password: 'bob-secret-2' },
  'scram-sha-512': { username: 'carol', password: 'carol-secret-3' },
} as const;

export interface SecureKafka {
  /** host:port of the SASL_SSL listener. */
  saslSsl: string;
  /** host:port of the PLAINTEXT listener (for the test's own checks). */
  plain: string;
  stop(): Promise<void>;
}

const LOG4J = fromRoot('stack', 'kafka', 'log4j2.properties');

function properties(dir: string, p: { plain: number; sasl: number; ctl: number }, pki: TestPki): string {
  const keystore = pki.pkcs12(pki.server('kafka'), 'kafka');
  const scram = (m: string) =>
    `listener.name.sasl_ssl.${m}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`;
  const { username, password } = KAFKA_USERS.plain;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.ctl}`,
    `listeners=PLAINTEXT://127.0.0.1:${p.plain},SASL_SSL://127.0.0.1:${p.sasl},CONTROLLER://127.0.0.1:${p.ctl}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${p.plain},SASL_SSL://127.0.0.1:${p.sasl}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule ' +
      `required user_${username}="${password}";`,
    scram('scram-sha-256'),
    scram('scram-sha-512'),
    `ssl.keystore.location=${keystore}`,
    'ssl.keystore.type=PKCS12',
    'ssl.keystore.password=changeit',
    'ssl.key.password=changeit',
    `ssl.truststore.location=${pki.ca.cert}`,
    'ssl.truststore.type=PEM',
    'ssl.client.auth=required',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

export async function startSecureKafka(pki: TestPki): Promise<SecureKafka> {
  const dir = join(pki.dir, 'kafka');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const ports = { plain: await freePort(), sasl: await freePort(), ctl: await freePort() };
  const props = join(dir, 'server.properties');
  writeFileSync(props, properties(dir, ports, pki));
  const java = [`-Dlog4j2.configurationFile=${LOG4J}`, '-cp', join(kafkaLibs(), '*')];
  const u256 = KAFKA_USERS['scram-sha-256'];
  const u512 = KAFKA_USERS['scram-sha-512'];
  execFileSync('java', [
    '-Xmx256m',
    ...java,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    'aXRyYWRlLXRscy10ZXN0',
    '-c',
    props,
    '-S',
    `SCRAM-SHA-256=[name=${u256.username},password=${u256.password}]`,
    '-S',
    `SCRAM-SHA-512=[name=${u512.username},password=${u512.password}]`,
  ]);
  const log = createWriteStream(join(dir, 'kafka.log'));
  const child = spawn('java', ['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', ...java, 'kafka.Kafka', props], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const k: SecureKafka = {
    saslSsl: `127.0.0.1:${ports.sasl}`,
    plain: `127.0.0.1:${ports.plain}`,
    stop: () => stop(child),
  };
  try {
    await waitReady(k.plain, child, join(dir, 'kafka.log'));
  } catch (err) {
    await k.stop();
    throw err;
  }
  return k;
}

async function waitReady(broker: string, child: ChildProcess, logFile: string): Promise<void> {
  const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  const until = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kafka exited: ${tail(logFile)}`);
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() > until) throw new Error(`kafka did not answer in 180 s: ${tail(logFile)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function tail(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
