// Where the gateway finds Redis, Kafka and the Ethereum node. An empty value means "the
// project's own local stack" (see the `stack` section), so a fresh clone runs with no edits.
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../types.ts';
import { KafkaSasl, TlsClient } from './tls.ts';

export const LogSection = Type.Object(
  {
    level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      default: 'info',
      description: 'Minimum pino log level.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Structured logging (pino, JSON lines on stdout).' },
);

export const RedisSection = Type.Object(
  {
    url: Type.String({
      default: '',
      pattern: '^(|rediss?://.+)$',
      hint: 'a redis:// or rediss:// URL, or empty for the local stack',
      description: 'Redis URL (redis:// or rediss://). Empty: the local stack Redis on stack.redis.port.',
    }),
    keyPrefix: Type.String({
      default: 'itrade:',
      minLength: 1,
      description: 'Prefix of every Redis key the gateway writes, so one Redis can serve several gateways.',
    }),
    username: Type.String({ default: '', description: 'Redis ACL user (AUTH user password). Empty: default.' }),
    password: Type.String({
      default: '',
      description: 'Redis password; take it from the environment: `password: ${ITRADE_REDIS_PASSWORD}`.',
    }),
    tls: TlsClient('Redis'),
  },
  { additionalProperties: false, default: {}, description: 'Redis: sessions, entitlement cache, metering counters.' },
);

export const HostPort = Type.String({
  pattern: '^[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}$',
  hint: 'host:port',
  description: 'host:port',
});

export const KafkaSection = Type.Object(
  {
    brokers: Type.Array(HostPort, {
      default: [],
      description:
        'Kafka bootstrap brokers as host:port (the broker listener, not the KRaft controller). Empty: the local ' +
        'stack Kafka.',
    }),
    clientId: Type.String({ default: 'itrade-gateway', minLength: 1, description: 'Kafka client id of the gateway.' }),
    tls: TlsClient('Kafka'),
    sasl: KafkaSasl,
  },
  { additionalProperties: false, default: {}, description: 'Apache Kafka: durable history, one topic per sensor.' },
);

// An amount of ether with its unit, so YAML never rounds a large wei number through a float.
const Amount = (def: string, what: string) =>
  Type.String({
    default: def,
    pattern: '^([0-9]+ wei|[0-9]+(\\.[0-9]{1,9})? gwei|[0-9]+(\\.[0-9]{1,18})? ether)$',
    hint: 'an amount with its unit, e.g. "0.01 ether", "5 gwei" or "1000 wei"',
    description: `${what}, with its unit: "0.01 ether", "5 gwei", "1000 wei".`,
  });

/** Parameters `npm run deploy` gives a new DataMarketplace (its owner can change them later on chain). */
export const MarketplaceDeploySection = Type.Object(
  {
    dspRegistrationPrice: Amount('0.01 ether', 'Fee to register a data stream principal'),
    sensorRegistrationPrice: Amount('0.001 ether', 'Fee to register a sensor'),
    commissionBps: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 500,
      description: "Marketplace's share of each subscription, in basis points (500 = 5 %).",
    }),
  },
  { additionalProperties: false, default: {}, description: 'Initial marketplace parameters used by `npm run deploy`.' },
);

export const ChainSection = Type.Object(
  {
    rpcUrl: Type.String({
      default: '',
      pattern: '^(|(https?|wss?)://.+)$',
      hint: 'an http(s):// or ws(s):// URL, or empty for the local stack',
      description: 'Ethereum JSON-RPC URL (http(s):// or ws(s)://). Empty: the local stack anvil node.',
    }),
    chainId: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Chain id the node at rpcUrl must report (1 Ethereum, 11155111 Sepolia, ' +
        '...): `itrade deploy` and the chain look-ups check it before anything ' +
        "else. 0: the local stack's stack.chain.chainId when rpcUrl is empty, " +
        'else whatever the node reports (name it for any real network).',
    }),
    marketplace: Type.String({
      default: '',
      pattern: '^(|0x[0-9a-fA-F]{40})$',
      hint: 'a 0x-prefixed 20-byte address, or empty to read chain.deploymentFile',
      description:
        'Address of the DataMarketplace contract. ' +
        'Empty: the address recorded in chain.deploymentFile by `npm run deploy`.',
    }),
    marketplaceBlock: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Block the marketplace was deployed in, where following its events starts, when chain.marketplace is ' +
        'set (the deployment file records its own).',
    }),
    deploymentFile: Type.String({
      default: '.cache/deployments/{chainId}.json',
      minLength: 1,
      description:
        'JSON file (relative to the project root) that `npm run deploy` writes and the gateway reads: chain id, ' +
        'marketplace address, deployment block. `{chainId}` stands ' +
        'for the chain id, so each chain keeps its own record.',
    }),
    confirmations: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 0,
      description:
        'Blocks an event must lie under the head before it changes what anyone may read (subscriptions, ' +
        'registrations, status); reads are made at that depth too. 0 on the local chain; a reorg shallower ' +
        'than this never reaches a buyer, a deeper one is taken back (docs/contracts.md, "Finality").',
    }),
    maxLogRange: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 2000,
      description:
        'Most blocks one eth_getLogs of the event follower asks for (public nodes cap the range, often at ' +
        '10,000 blocks or less).',
    }),
    reorgDepth: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 128,
      description:
        'Blocks of followed windows (their hashes and events) kept in Redis to undo a reorg; a deeper one is ' +
        'logged as an error and followed from the head.',
    }),
    deploy: MarketplaceDeploySection,
  },
  { additionalProperties: false, default: {}, description: 'The Ethereum chain holding the marketplace contracts.' },
);
