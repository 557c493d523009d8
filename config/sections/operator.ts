// The operator's side of a running gateway: the endpoint for Prometheus and the load balancer
// (/metrics, /healthz, /readyz) and how a shutdown drains. docs/operations.md explains each.
import { Type } from '@sinclair/typebox';

const OperatorHttp = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve /metrics, /healthz and /readyz.' }),
    host: Type.String({
      default: '127.0.0.1',
      minLength: 1,
      description:
        'Interface of the operator endpoint. Keep it off the public network: /metrics tells an outsider a lot. ' +
        'In Kubernetes use 0.0.0.0 (probes come from the kubelet) and do not expose the port in a Service or Ingress.',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 18090,
      description: 'Operator endpoint port (0: pick a free port).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'The operator endpoint, separate from the public HTTP API.',
  },
);

const Shutdown = Type.Object(
  {
    drainTimeoutMs: Type.Integer({
      minimum: 0,
      maximum: 600000,
      default: 10000,
      description:
        'On SIGTERM/SIGINT: how long in-flight publishes may wait for Kafka (their PUBACKs still go out), and ' +
        'then how long the bridge may drain its buffer. Publishes not acknowledged by then are never PUBACKed, ' +
        'so devices resend them.',
    }),
    timeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 900000,
      default: 25000,
      description:
        "The whole shutdown; past it the process exits with 1 (keep it below the orchestrator's grace period, " +
        '30 s in Kubernetes).',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Graceful shutdown.' },
);

export const OperatorSection = Type.Object(
  {
    http: OperatorHttp,
    readyTimeoutMs: Type.Integer({
      minimum: 50,
      maximum: 60000,
      default: 2000,
      description: 'Each /readyz check (Redis, Kafka, chain) fails after this long.',
    }),
    shutdown: Shutdown,
    production: Type.Boolean({
      default: false,
      description:
        'Production profile (also on with NODE_ENV=production): the gateway refuses to start with the ' +
        'development JWT secret or with a TLS check switched off (config/audit.ts).',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Operations: metrics, health and readiness, graceful shutdown (docs/operations.md).',
  },
);
