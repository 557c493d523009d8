// The tracing module on its own, with the SDK's in-memory exporter: nothing happens while it is
// off, the sampling ratio decides new traces, a traceparent continues one, and the hooks of the
// publish flow (Kafka write, delivery found by payload) build one connected trace.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/load.ts';
import { publishDone, traceDelivery, traceKafkaWrite, tracePublish } from '../../tracing/hooks.ts';
import {
  childSpan,
  contextOfTraceparent,
  contextWith,
  inChildSpan,
  inContext,
  logTraceFields,
  rootSpan,
  startTracing,
  traceparentOf,
  tracingOn,
  withSpan,
} from '../../tracing/tracing.ts';

const config = (tracing: Record<string, unknown>) => validateConfig({ tracing }, 'test').tracing;

test('off by default: no SDK, every hook returns nothing', () => {
  assert.is(config({}).enabled, false);
  assert.is(startTracing(config({})), undefined);
  assert.not.ok(tracingOn());
  assert.is(rootSpan('x', {}), undefined);
  assert.is(tracePublish('c', 'sensors/0x1', 1), undefined);
  const a = logTraceFields();
  assert.equal(a, {});
  assert.is.not(a, logTraceFields(), 'a new object per line: pino merges into it');
});

test('the sampling ratio decides new traces; a sampled traceparent is always continued', async () => {
  const exporter = new InMemorySpanExporter();
  const t = startTracing(config({ enabled: true, samplingRatio: 0 }), exporter)!;
  assert.is(rootSpan('new', {}), undefined, 'ratio 0: a new trace is not recorded');
  const parent = contextOfTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  const span = rootSpan('continued', {}, parent);
  assert.ok(span, 'a sampled incoming traceparent is recorded whatever the ratio');
  assert.is(span!.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.match(traceparentOf(span!), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
  withSpan(span, () =>
    assert.equal(logTraceFields(), { traceId: span!.spanContext().traceId, spanId: span!.spanContext().spanId }),
  );
  span!.end();
  assert.is(contextOfTraceparent('not-a-traceparent'), undefined);
  const unsampled = contextOfTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
  assert.is(rootSpan('unsampled', {}, unsampled), undefined);
  assert.is(childSpan('child', {}, unsampled), undefined);
  await t.flush(); // close() would empty the in-memory exporter
  assert.equal(
    exporter.getFinishedSpans().map((s) => s.name),
    ['continued'],
  );
  await t.close();
  assert.not.ok(tracingOn());
});

test('ratio 0: an unsampled publish makes no span and carries no traceparent', async () => {
  const exporter = new InMemorySpanExporter();
  const t = startTracing(config({ enabled: true, samplingRatio: 0 }), exporter)!;
  for (let i = 0; i < 100; i++) {
    const pub = tracePublish('dev', 'sensors/0xabc', 1);
    // What the broker hands the writer as the record's traceparent header (broker/publish.ts).
    assert.is(pub?.traceparent, undefined);
    publishDone(pub);
  }
  await t.flush();
  assert.equal(exporter.getFinishedSpans(), []);
  await t.close();
});

test('a flow carries its context across awaits: child spans and log lines join its trace', async () => {
  const exporter = new InMemorySpanExporter();
  const t = startTracing(config({ enabled: true, samplingRatio: 1 }), exporter)!;
  const root = rootSpan('flow', {})!;
  const { traceId } = root.spanContext();
  let inner: object = {};
  await inChildSpan(
    'step',
    {},
    async (ctx) => {
      await new Promise((resolve) => setImmediate(resolve));
      // After an await the flow enters its context again (tracing/scope.ts: no implicit one).
      inner = inContext(ctx, logTraceFields);
      await inChildSpan('deeper', {}, async () => undefined, ctx);
    },
    contextWith(root),
  );
  root.end();
  await t.flush();
  const spans = exporter.getFinishedSpans();
  const byName = (n: string) => spans.find((s) => s.name === n)!;
  assert.is(byName('step').parentSpanContext?.spanId, root.spanContext().spanId);
  assert.is(byName('deeper').parentSpanContext?.spanId, byName('step').spanContext().spanId);
  assert.ok(
    spans.every((s) => s.spanContext().traceId === traceId),
    'one trace',
  );
  assert.equal(inner, { traceId, spanId: byName('step').spanContext().spanId });
  assert.equal(logTraceFields(), {}, 'outside the flow, a line carries no trace');
  await t.close();
});

test('publish hooks: the Kafka write and a delivery handed over with its traceparent join its trace', async () => {
  const exporter = new InMemorySpanExporter();
  const t = startTracing(config({ enabled: true, samplingRatio: 1 }), exporter)!;
  const pub = tracePublish('dev', 'sensors/0xabc', 1)!;
  // Instants in the past, as the bridge's are: OpenTelemetry's Span reads a number above
  // performance.now() as epoch milliseconds (a fast run within 3 ms made kafka.append 0 ms long).
  const t0 = performance.now() - 10;
  traceKafkaWrite(pub.traceparent, { acceptedAt: t0, sentAt: t0 + 1, ackedAt: t0 + 3 }, { entries: 4 });
  publishDone(pub);
  traceDelivery({ traceparent: pub.traceparent, handedOverAt: t0 + 3 }, { 'messaging.client.id': 'buyer' });
  traceDelivery({}, {}); // an untraced entry: no span
  await t.flush();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.map((s) => s.name).sort(), [
    'bridge.queue',
    'kafka.append',
    'mqtt.deliver',
    'mqtt.publish',
    'publish.authorise',
  ]);
  const root = spans.find((s) => s.name === 'mqtt.publish')!;
  for (const s of spans.filter((x) => x !== root)) {
    assert.is(s.spanContext().traceId, root.spanContext().traceId);
    assert.is(s.parentSpanContext?.spanId, root.spanContext().spanId, s.name);
  }
  const append = spans.find((s) => s.name === 'kafka.append')!;
  const ms = append.duration[0] * 1000 + append.duration[1] / 1e6;
  assert.ok(Math.abs(ms - 2) < 0.01, `kafka.append spans sentAt..ackedAt (${ms} ms)`);
  const deliver = spans.find((s) => s.name === 'mqtt.deliver')!;
  assert.ok(deliver.startTime[0] * 1000 + deliver.startTime[1] / 1e6 > 0, 'the delivery starts at the hand-over');
  await t.close();
});

test.run();
