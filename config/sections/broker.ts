// The broker: MQTT listeners and Aedes limits, token signing, the entitlement cache over the
// chain, metering leases and the HTTP API. docs/broker.md explains each rule these feed.
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../types.ts';
import { AbuseLimitFields } from './limits.ts';

const Host = (def: string) =>
  Type.String({ default: def, minLength: 1, description: 'Interface to bind (0.0.0.0: all).' });
const Port = (def: number, what: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description: `${what} (0: pick a free port).` });

const ProxyProtocol = (before: string) =>
  Type.Boolean({
    default: false,
    description:
      `Read a PROXY protocol v1/v2 header (from a load balancer) before the ${before} on connections from ` +
      'sovereignty.trustedProxies, so the network policy and per-address limits see the device address; a ' +
      'trusted peer without a valid header is disconnected. Needs sovereignty.trustedProxies.',
  });

const Listeners = Type.Object(
  {
    tcp: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve MQTT over plain TCP.' }),
        host: Host('0.0.0.0'),
        port: Port(11883, 'MQTT TCP port'),
        proxyProtocol: ProxyProtocol('connection'),
      },
      { additionalProperties: false, default: {}, description: 'MQTT over TCP.' },
    ),
    tls: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Serve MQTT over TLS (needs certFile and keyFile).' }),
        host: Host('0.0.0.0'),
        port: Port(18883, 'MQTT TLS port'),
        certFile: Type.String({ default: '', description: 'PEM certificate chain of the TLS listener.' }),
        keyFile: Type.String({ default: '', description: 'PEM private key of the TLS listener.' }),
        caFile: Type.String({
          default: '',
          description: 'PEM CA certificate(s) that sign device client certificates. Empty: no client certificates.',
        }),
        clientCerts: StringEnum(['none', 'optional', 'required'] as const, {
          default: 'none',
          description:
            'Client certificates: none (not asked for), optional (asked for; one given must verify against ' +
            'caFile), required (a connection without a valid one fails the TLS handshake).',
        }),
        certIdentity: StringEnum(['off', 'either', 'both'] as const, {
          default: 'off',
          description:
            'Device identity from the client certificate: its subject CN or a SAN names the sensor address, ' +
            'checked on chain like a sensor token. off (certificates only open the TLS link), either (a device ' +
            'with such a certificate needs no token; a token given must name the same sensor), both (a sensor ' +
            'token must come with a certificate naming the same sensor, so sensors must use TLS).',
        }),
        minVersion: StringEnum(['TLSv1.2', 'TLSv1.3'] as const, {
          default: 'TLSv1.2',
          description: 'Oldest TLS version accepted.',
        }),
        proxyProtocol: ProxyProtocol('TLS handshake (a load balancer in TCP pass-through mode)'),
        reloadCheckMs: Type.Integer({
          minimum: 0,
          default: 60000,
          description:
            'How often certFile, keyFile and caFile are checked for change; a changed set is loaded for new ' +
            'connections without dropping open ones (0: never).',
        }),
      },
      { additionalProperties: false, default: {}, description: 'MQTT over TLS.' },
    ),
    ws: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve MQTT over WebSocket.' }),
        host: Host('0.0.0.0'),
        port: Port(18083, 'MQTT WebSocket port'),
        path: Type.String({ default: '/mqtt', pattern: '^/', description: 'HTTP path of the WebSocket endpoint.' }),
        proxyProtocol: ProxyProtocol('HTTP upgrade request (a trusted X-Forwarded-For is then judged after it)'),
      },
      { additionalProperties: false, default: {}, description: 'MQTT over WebSocket.' },
    ),
  },
  { additionalProperties: false, default: {}, description: 'MQTT listeners; every rule holds on each of them.' },
);

const Limits = Type.Object(
  {
    maxTopicLevels: Type.Integer({
      minimum: 3,
      maximum: 100,
      default: 8,
      description: 'Deepest topic accepted (Aedes maxTopicLevels); deeper topics close the connection.',
    }),
    maxClientIdLength: Type.Integer({
      minimum: 42,
      maximum: 65535,
      default: 128,
      description: 'Longest client id (must hold a 42-character address).',
    }),
    connectTimeoutMs: Type.Integer({ minimum: 100, default: 30000, description: 'Time a socket has to send CONNECT.' }),
    drainTimeoutMs: Type.Integer({
      minimum: 0,
      default: 60000,
      description: 'A subscriber whose socket does not drain in this time is disconnected (0: wait forever).',
    }),
    heartbeatIntervalMs: Type.Integer({
      minimum: 1000,
      default: 60000,
      description: 'Aedes heartbeat between clustered instances.',
    }),
    queueLimit: Type.Integer({
      minimum: 1,
      default: 42,
      description: 'Packets a client may send before its CONNECT is handled.',
    }),
    concurrency: Type.Integer({ minimum: 1, default: 100, description: 'Aedes/mqemitter delivery concurrency.' }),
    maxInflightInbound: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'Inbound QoS 2 messages awaiting PUBREL per client.',
    }),
    keepaliveLimitSec: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Largest keep-alive a client may ask for (0: any).',
    }),
    ...AbuseLimitFields,
  },
  {
    additionalProperties: false,
    default: {},
    description: "Limits that protect the broker: Aedes' own and the abuse limits (config/sections/limits.ts).",
  },
);

const Jwt = Type.Object(
  {
    alg: StringEnum(['HS256', 'ES256'] as const, {
      default: 'HS256',
      description: 'Signing algorithm; tokens with any other alg are refused.',
    }),
    secret: Type.String({
      default: '',
      description:
        'HS256 secret (at least 32 bytes); the shipped YAML reads it from ITRADE_JWT_SECRET. Empty: see devSecret.',
    }),
    privateKeyFile: Type.String({ default: '', description: 'ES256: PKCS#8 PEM private key file.' }),
    publicKeyFile: Type.String({ default: '', description: 'ES256: SPKI PEM public key file.' }),
    issuer: Type.String({ default: 'itrade-gateway', minLength: 1, description: 'iss claim written and required.' }),
    audience: Type.String({ default: 'itrade', minLength: 1, description: 'aud claim written and required.' }),
  },
  { additionalProperties: false, default: {}, description: 'JWT signing and verification (jose).' },
);

const Auth = Type.Object(
  {
    jwt: Jwt,
    devSecret: Type.Boolean({
      default: true,
      description:
        'With HS256 and an empty secret: share a random secret through Redis (local development only). Set ' +
        'false in production so an empty secret refuses to start.',
    }),
    principalTokenTtlSec: Type.Integer({ minimum: 60, default: 3600, description: 'Lifetime of a principal JWT.' }),
    sensorTokenTtlSec: Type.Integer({
      minimum: 60,
      default: 2592000,
      description: 'Lifetime of a sensor JWT (re-activate to renew).',
    }),
    operatorTokenTtlSec: Type.Integer({ minimum: 60, default: 3600, description: 'Lifetime of an operator JWT.' }),
    challengeTtlSec: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description: 'How long a login challenge may be signed.',
    }),
    siweDomain: Type.String({
      default: 'localhost',
      minLength: 1,
      description: 'EIP-4361 domain in the login message.',
    }),
    siweUri: Type.String({
      default: 'http://localhost',
      minLength: 1,
      description: 'EIP-4361 URI in the login message.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Identities and tokens.' },
);

const Entitlements = Type.Object(
  {
    chainId: Type.Integer({
      minimum: 1,
      default: 31337,
      description: 'Chain id of the RPC node (written into login messages).',
    }),
    cacheTtlSec: Type.Integer({
      minimum: 1,
      default: 60,
      description: 'How long a chain answer is served from the Redis cache.',
    }),
    rpcTimeoutMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'A chain call slower than this counts as unreachable.',
    }),
    pollIntervalMs: Type.Integer({
      minimum: 100,
      default: 1000,
      description: 'How often marketplace events are read.',
    }),
    maxConcurrentLoads: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 8,
      description:
        'Chain look-ups (cache misses) under way at once; the others wait their turn, and the wait does not ' +
        'count against rpcTimeoutMs, so a storm of new buyers queues instead of overloading the node into timeouts.',
    }),
    maxBatch: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description:
        'Most (buyer, sensor) pairs one multicall eth_call asks about: checks waiting for a chain slot together ' +
        'leave together, so a storm of new buyers costs a few reads instead of one each.',
    }),
    maxLoadWaitMs: Type.Integer({
      minimum: 100,
      default: 30000,
      description:
        'A look-up that waited this long for its turn fails closed (a node that stopped answering cannot build ' +
        'an endless queue).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'On-chain entitlements behind a Redis cache (the marketplace is chain.marketplace or chain.deploymentFile).',
  },
);

const Metering = Type.Object(
  {
    window: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 100,
      description: 'QoS 1 entries per buyer and sensor sent and not yet acknowledged (PUBACK).',
    }),
    leaseSize: Type.Integer({
      minimum: 1,
      default: 1000,
      description:
        'Entries per buyer and sensor delivered ahead of the cursor kept in Redis ' +
        '(delivery goes on this far while Redis is away).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: "Delivery from the log: each buyer's cursor is its meter against what it paid (docs/broker.md).",
  },
);

const Http = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the HTTP API (login, activation, revocation).' }),
    host: Host('127.0.0.1'),
    port: Port(18080, 'HTTP API port'),
  },
  { additionalProperties: false, default: {}, description: 'The HTTP API (fastify).' },
);

const Bus = StringEnum(['redis', 'memory'] as const, {
  default: 'redis',
  description:
    'How a publish reaches the subscribers: redis (Redis pub/sub, so several gateway instances behind one load ' +
    'balancer act as one broker) or memory (in the process: one instance only, about a fifth less CPU per ' +
    'message and no Redis round trip before delivery).',
});

export const BrokerSection = Type.Object(
  {
    bus: Bus,
    listeners: Listeners,
    limits: Limits,
    auth: Auth,
    entitlements: Entitlements,
    metering: Metering,
    http: Http,
    keyAgentPresenceTtlMs: Type.Integer({
      minimum: 1000,
      default: 60000,
      description:
        "How long a seller's key agent counts as online after its instance last refreshed it (a third of this); " +
        'only an instance that dies without closing its connections leaves one online that long.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The MQTT broker and its HTTP API.' },
);
