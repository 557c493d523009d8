// Distributed tracing (OpenTelemetry, exported by OTLP over HTTP). Off by default: when off no
// SDK is started and every hook is one boolean test (tracing/tracing.ts). docs/deploy.md shows
// how to point the exporter at Jaeger or Tempo.
import { Type } from '@sinclair/typebox';

const Otlp = Type.Object(
  {
    endpoint: Type.String({
      default: 'http://127.0.0.1:4318/v1/traces',
      pattern: '^https?://.+',
      hint: 'an http:// or https:// URL',
      description:
        "The OTLP/HTTP traces URL of a collector, Jaeger (port 4318) or Tempo, path included ('/v1/traces').",
    }),
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 10000,
      description: 'One export request fails after this long (its spans are dropped, nothing else waits).',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Where spans are exported (OTLP over HTTP, JSON).' },
);

export const TracingSection = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Trace publishes, subscribes, key requests and HTTP/GraphQL requests, and export the spans.',
    }),
    samplingRatio: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.01,
      description:
        'Share of new traces that are recorded (0.01: one in a hundred). A request that arrives with a sampled ' +
        'W3C traceparent is always recorded; one with an unsampled traceparent never is.',
    }),
    serviceName: Type.String({
      default: 'itrade-gateway',
      minLength: 1,
      description: 'service.name of the spans (the name a tracing UI lists the gateway under).',
    }),
    maxQueueSize: Type.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 2048,
      description: 'Finished spans waiting for export; beyond it new spans are dropped rather than slow the gateway.',
    }),
    otlp: Otlp,
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Distributed tracing with OpenTelemetry (off by default; docs/deploy.md "Tracing").',
  },
);
