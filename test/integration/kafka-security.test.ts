// Kafka over TLS with SASL, as a managed Kafka (MSK, Confluent Cloud, Aiven) wants it: a private
// Kafka started by the test (test/helpers/secure-kafka.ts) with a SASL_SSL listener that asks
// for a client certificate of the test's CA. Each SASL mechanism carries the bridge's writes and
// reads with the password from the environment; a gateway reports Kafka ready through it; a
// wrong password or a server of another CA fails the start, naming the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../config/load.ts';
import { kafkaSecurity } from '../../config/clients.ts';
import { createKafkaClients } from '../../bridge/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { TestPki } from '../helpers/pki.ts';
import { KAFKA_USERS, startSecureKafka, type SecureKafka } from '../helpers/secure-kafka.ts';
import { testGateway } from '../helpers/gateway.ts';
import { unique } from '../helpers/services.ts';

const pki = new TestPki();
const rogue = new TestPki('rogue-ca');
const client = pki.leaf('gateway-client', { cn: 'itrade-gateway', clientAuth: true });
let kafka: SecureKafka;
const log = createLogger({ level: 'silent' });
type Mechanism = keyof typeof KAFKA_USERS;

test.before(async () => {
  kafka = await startSecureKafka(pki);
});

test.after(async () => {
  await kafka?.stop();
  pki.rm();
  rogue.rm();
});

/** The kafka section as an operator writes it: the password only named, taken from the environment. */
function kafkaSection(m: Mechanism, tls: Record<string, unknown> = {}) {
  return {
    brokers: [kafka.saslSsl],
    tls: { enabled: true, ca: pki.ca.cert, cert: client.cert, key: client.key, ...tls },
    sasl: { mechanism: m, username: KAFKA_USERS[m].username, password: '${ITRADE_KAFKA_PASSWORD}' },
  };
}

function loadKafka(m: Mechanism, password: string) {
  const yaml = `kafka: ${JSON.stringify(kafkaSection(m))}\n`;
  return parseConfig(yaml, 'itrade.yaml', { env: { ITRADE_KAFKA_PASSWORD: password } }).kafka;
}

for (const m of Object.keys(KAFKA_USERS) as Mechanism[]) {
  test(`${m}: the bridge's clients create a topic, write with acks=all and read it back`, async () => {
    const cfg = loadKafka(m, KAFKA_USERS[m].password);
    const opts = { brokers: cfg.brokers, clientId: unique('sec'), retryInitialMs: 100, retryMaxMs: 1000 };
    const clients = createKafkaClients({ ...opts, requestTimeoutMs: 30_000, security: kafkaSecurity(cfg) }, log);
    const admin = clients.read.admin();
    const producer = clients.write.producer({ idempotent: true });
    const topic = unique(m);
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ value: Buffer.from([1, 2, 3]) }] });
      assert.equal(
        (await admin.fetchTopicOffsets(topic)).map((o) => o.high),
        ['1'],
      );
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
}

/** The section a test gateway gets: the password written in, or a wrong one. */
function gatewayKafka(m: Mechanism, o: { password?: string; tls?: Record<string, unknown> } = {}) {
  const section = kafkaSection(m, o.tls);
  return { ...section, sasl: { ...section.sasl, password: o.password ?? KAFKA_USERS[m].password } };
}

async function startRefused(section: Record<string, unknown>): Promise<Error & { code?: string }> {
  try {
    const gw = await testGateway({ kafka: section });
    await gw.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the gateway started');
}

test('a gateway on SCRAM-SHA-512 over mutual TLS starts and reports Kafka ready', async () => {
  const gw = await testGateway({ kafka: gatewayKafka('scram-sha-512') });
  try {
    const report = await gw.ready();
    assert.ok(report.checks.kafka!.ok, report.checks.kafka!.detail);
  } finally {
    await gw.close();
  }
});

test('a wrong password fails the start: ITRADE_ERR_KAFKA_AUTH naming kafka.sasl.password and the user', async () => {
  const err = await startRefused(gatewayKafka('scram-sha-256', { password: 'wrong' }));
  assert.is(err.code, 'ITRADE_ERR_KAFKA_AUTH', err.message);
  assert.match(err.message, /^kafka\.sasl\.password: kafka refused user "bob"/);
});

test('a Kafka whose certificate another CA signed fails the start, naming kafka.tls.ca', async () => {
  const err = await startRefused(gatewayKafka('plain', { tls: { ca: rogue.ca.cert } }));
  assert.is(err.code, 'ITRADE_ERR_KAFKA_AUTH', err.message);
  assert.match(err.message, /^kafka\.tls\.ca: TLS with kafka failed/);
});

test.run();
