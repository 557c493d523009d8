// How the gateway's own clients reach Redis and Kafka securely: TLS (a private CA, a client
// certificate for mutual TLS) and Kafka's SASL. Secrets never sit in the YAML: write
// `password: ${ITRADE_KAFKA_PASSWORD}` and the loader takes it from the environment
// (config/env.ts). config/clients.ts turns these sections into the clients' options.
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../types.ts';

const PemFile = (what: string, empty: string) =>
  Type.String({
    default: '',
    description: `${what}: a PEM file, absolute or relative to the project root. Empty: ${empty}.`,
  });

/** TLS towards a server the gateway connects to (Redis, Kafka). */
export const TlsClient = (service: string) =>
  Type.Object(
    {
      enabled: Type.Boolean({ default: false, description: `Connect to ${service} over TLS.` }),
      ca: PemFile(`CA certificate(s) that sign the ${service} server certificate`, "Node.js' public root CAs"),
      cert: PemFile('Client certificate chain for mutual TLS', 'no client certificate'),
      key: PemFile('Private key of the client certificate', 'none (needs cert)'),
      servername: Type.String({
        default: '',
        description: `Name the ${service} server certificate must carry (SNI). Empty: the host connected to.`,
      }),
      rejectUnauthorized: Type.Boolean({
        default: true,
        description:
          `Refuse a ${service} server certificate that does not verify. false is for tests only ` +
          '(`itrade config check` warns, a production profile refuses it).',
      }),
    },
    { additionalProperties: false, default: {}, description: `TLS towards ${service}.` },
  );

export const KafkaSasl = Type.Object(
  {
    mechanism: StringEnum(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, {
      default: 'none',
      description:
        'SASL mechanism (Confluent Cloud: plain; Amazon MSK and Aiven: scram-sha-512 or scram-sha-256). ' +
        'none: no SASL. Use it over TLS: PLAIN sends the password as is.',
    }),
    username: Type.String({ default: '', description: 'SASL user name.' }),
    password: Type.String({
      default: '',
      description: 'SASL password; take it from the environment: `password: ${ITRADE_KAFKA_PASSWORD}`.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'SASL authentication towards Kafka.' },
);
