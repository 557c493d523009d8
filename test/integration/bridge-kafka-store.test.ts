// The Kafka LogStore passes the LogStore contract on the real Kafka (kafkajs 2.2.4 against
// Kafka 4.x: idempotent acks=all produce, Fetch without a consumer group, offsets by time).
import { suite } from 'uvu';
import { createKafkaClients } from '../../bridge/kafka/client.ts';
import { KafkaLogStore } from '../../bridge/kafka/store.ts';
import { createLogger } from '../../lib/log.ts';
import { logStoreContract, type ContractContext } from '../bridge/log-store.contract.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const log = createLogger({ level: 'silent' });
const clients = createKafkaClients({ brokers: svc.kafkaBrokers, clientId: unique('contract'), retryInitialMs: 100, retryMaxMs: 1000, requestTimeoutMs: 30_000 }, log);
const store = new KafkaLogStore(clients, log, { requestTimeoutMs: 30_000 });

const contract = suite<ContractContext>('kafka store contract', { store, topic: () => unique('contract') });
contract.after(() => store.close());
logStoreContract(contract);
contract.run();
