// The local development and test stack that `npm run stack:up` starts (Redis, Kafka, anvil).
// Ports default to values that do not clash with a user's own services on the standard
// 6379/9092/8545; 0 picks a free port at start-up.
import { Type } from '@sinclair/typebox';

const Port = (def: number, what: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description: `${what} (0: pick a free port).` });

export const StackSection = Type.Object(
  {
    dir: Type.String({
      default: '.cache/stack',
      minLength: 1,
      description: 'Folder (relative to the project root) for the stack state, data and logs. Ignored by git.',
    }),
    startTimeoutMs: Type.Integer({
      minimum: 1000,
      default: 90000,
      description: 'How long `stack up` waits for each service to answer before it fails.',
    }),
    redis: Type.Object(
      {
        port: Port(16379, 'TCP port of the local Redis'),
        appendOnly: Type.Boolean({ default: true, description: 'Keep Redis data across restarts (AOF).' }),
      },
      { additionalProperties: false, default: {}, description: 'Local Redis (Debian redis-server).' },
    ),
    kafka: Type.Object(
      {
        port: Port(19092, 'TCP port of the local Kafka broker listener'),
        controllerPort: Port(19093, 'TCP port of the local KRaft controller listener'),
        heapMb: Type.Integer({
          minimum: 128,
          maximum: 65536,
          default: 512,
          description: 'JVM heap (-Xmx) of the local Kafka, in MiB.',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Local Apache Kafka, single KRaft node (jars from Maven Central).',
      },
    ),
    chain: Type.Object(
      {
        port: Port(18545, 'TCP port of the local anvil JSON-RPC'),
        accounts: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 20,
          description: 'Number of funded deterministic dev accounts.',
        }),
        chainId: Type.Integer({ minimum: 1, default: 31337, description: 'Chain id of the local node.' }),
        blockTimeSec: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Seconds between blocks; 0 mines each transaction at once.',
        }),
        persistState: Type.Boolean({
          default: true,
          description: 'Keep the local chain state (deployed contracts) across stack restarts.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Local Ethereum node (anvil from @foundry-rs/anvil).' },
    ),
  },
  { additionalProperties: false, default: {}, description: 'The project-managed local stack.' },
);
