// Tracing: the OpenTelemetry SDK behind a handful of helpers, so the rest of the gateway calls a
// hook, never the SDK. What it promises:
// - Off (the default): no SDK, no context manager; every hook is one test of `active` and returns.
// - On: a root span per flow (PUBLISH, SUBSCRIBE, key request, HTTP request), sampled by
//   tracing.samplingRatio unless a W3C traceparent that came in decides; the ratio is drawn
//   before the SDK is asked, so an unsampled new flow makes no span, ids or attributes. Child
//   spans only inside a recorded trace (`childSpan`, `inChildSpan`), so a stage deep in a layer
//   costs a context look-up when its flow is not sampled.
// - The active context is synchronous (scope.ts, no AsyncLocalStorage: its promise hook taxed
//   every promise on Node 20, issue 17); a flow that continues after an await passes its context
//   on (`parent` arguments, the `ctx` that `inChildSpan` hands its function) and enters it again.
// - Spans leave by OTLP/HTTP from a bounded queue (BatchSpanProcessor): a slow or absent
//   collector drops spans, it never holds up a publish.
// - Log lines written inside a traced flow's context carry traceId and spanId (`logTraceFields`,
//   the pino mixin of lib/log.ts).
// The SDK's state is per process (as OpenTelemetry's own globals are): one started tracing at a
// time; the gateway starts it (gateway/gateway.ts) and stops it in its shutdown.
import {
  context,
  ROOT_CONTEXT,
  trace,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { ItradeConfig } from '../config/schema.ts';
import { VERSION } from '../lib/version.ts';
import { ScopeContextManager } from './scope.ts';

export type TracingConfig = ItradeConfig['tracing'];
export type { Span, Context };

/** The started SDK; undefined while tracing is off. Read by every hook. */
let active: { tracer: Tracer; provider: TracerProvider; ratio: number } | undefined;
let contextManager: ScopeContextManager | undefined;
const propagator = new W3CTraceContextPropagator();

export interface TracingHandle {
  /** Exports what is queued (tests, shutdown). */
  flush(): Promise<void>;
  /** Exports what is queued and stops tracing. */
  close(): Promise<void>;
}

/**
 * Starts the SDK when `cfg.enabled`; `exporter` replaces the OTLP exporter (tests pass the SDK's
 * InMemorySpanExporter). Returns undefined when tracing is off.
 */
export function startTracing(cfg: TracingConfig, exporter?: SpanExporter): TracingHandle | undefined {
  if (!cfg.enabled) return undefined;
  const out = exporter ?? new OTLPTraceExporter({ url: cfg.otlp.endpoint, timeoutMillis: cfg.otlp.timeoutMs });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.serviceName, 'service.version': VERSION }),
    // New traces are drawn by rootSpan before the SDK is asked; what reaches it is recorded.
    // A parent (an incoming traceparent) still decides by its sampled flag.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: out,
        maxQueueSize: cfg.maxQueueSize,
        maxExportBatchSize: Math.min(512, cfg.maxQueueSize),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  if (!contextManager) {
    // Once per process: the API keeps the first global context manager it is given.
    contextManager = new ScopeContextManager();
    context.setGlobalContextManager(contextManager);
  }
  const mine = { tracer: provider.getTracer('itrade', VERSION), provider, ratio: cfg.samplingRatio };
  active = mine;
  return {
    flush: () => provider.forceFlush(),
    close: async () => {
      if (active === mine) active = undefined;
      await provider.shutdown();
    },
  };
}

/** Whether spans are being made at all (a hook's first test). */
export function tracingOn(): boolean {
  return active !== undefined;
}

/**
 * A new trace's root span, or a child of `parent` (a traceparent that came in). Undefined when
 * tracing is off or the sampler did not record it: the caller then does nothing more.
 * `attributes` may be a function: it is called only for a span that is made.
 */
export function rootSpan(
  name: string,
  attributes: Attributes | (() => Attributes),
  parent?: Context,
): Span | undefined {
  if (!active) return undefined;
  // The ratio first: the 99 % of new flows not sampled at 1 % cost one random number.
  if (!parent && !(Math.random() < active.ratio)) return undefined;
  const attrs = typeof attributes === 'function' ? attributes() : attributes;
  const span = active.tracer.startSpan(name, { attributes: attrs, root: !parent }, parent);
  if (span.isRecording()) return span;
  span.end();
  return undefined;
}

/** A child of the active span (or of `parent`), only inside a recorded trace; else undefined. */
export function childSpan(
  name: string,
  attributes?: Attributes,
  parent?: Context,
  startTime?: number,
): Span | undefined {
  if (!active) return undefined;
  const ctx = parent ?? context.active();
  // Sampled, not "recording": a parent from a traceparent header is a remote, non-recording span.
  const sc = trace.getSpanContext(ctx);
  if (!sc || (sc.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return active.tracer.startSpan(name, { attributes, startTime }, ctx);
}

/**
 * Runs `fn` in a child span of `parent` (else of the active context), when that trace is
 * recorded, ending it with fn's outcome. `fn` gets the child's context: what it does after an
 * await passes that on (the active context is synchronous only, scope.ts).
 */
export function inChildSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (ctx: Context | undefined) => Promise<T>,
  parent?: Context,
): Promise<T> {
  const from = parent ?? context.active();
  const span = childSpan(name, attributes, from);
  return span ? runIn(span, from, fn) : fn(undefined);
}

async function runIn<T>(span: Span, parent: Context, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, fn, undefined, ctx);
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `fn` with `span` active, so log lines and child spans inside it (until its first await) belong to it. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** Runs `fn` in `ctx` (a flow's context carried across an await); just runs it when undefined. */
export function inContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

/** Marks a span failed with the error's code (ItradeError) or message; never the error's data. */
export function failed(span: Span | undefined, err: unknown): void {
  if (!span) return;
  const code = (err as { code?: unknown })?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : String(err) });
}

/** The W3C traceparent of a span (to travel in a Kafka record header). */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** The context a W3C traceparent (and tracestate) names, for a span continuing that trace. */
export function contextFrom(carrier: Record<string, string | string[] | undefined>): Context | undefined {
  if (!active || !carrier.traceparent) return undefined;
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, {
    get: (c, k) => c[k],
    keys: (c) => Object.keys(c),
  });
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

/** The context of a traceparent string (a record header), or undefined when it is malformed. */
export function contextOfTraceparent(traceparent: string): Context | undefined {
  return contextFrom({ traceparent });
}

/** The context with this span active. */
export function contextWith(span: Span, parent: Context = ROOT_CONTEXT): Context {
  return trace.setSpan(parent, span);
}

/**
 * pino mixin: the trace and span of the active context, on every log line written inside a trace.
 * A new object each time: pino merges the line's own fields into it (proto.js, mixinMergeStrategy).
 */
export function logTraceFields(): object {
  if (!contextManager) return {};
  const c = trace.getSpanContext(context.active());
  return c ? { traceId: c.traceId, spanId: c.spanId } : {};
}
