// The tracing scenario's breakdown: stages of a publish from its spans, and the publishes at a
// percentile of the total with each stage's share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { breakdowns, stageTable, type ReceivedSpan } from '../../bench/traces.ts';

function trace(id: string, at: number, slow: number): ReceivedSpan[] {
  const s = (name: string, start: number, end: number, parent = 'p') => ({
    traceId: id,
    spanId: `${id}-${name}`,
    parentSpanId: name === 'mqtt.publish' ? '' : parent,
    name,
    start: at + start,
    end: at + end,
  });
  return [
    s('mqtt.publish', 0, 4 + slow),
    s('publish.authorise', 0, 0.5),
    s('bridge.queue', 0.5, 1),
    s('kafka.append', 1, 3 + slow),
    s('mqtt.deliver', 4 + slow, 5 + slow),
    s('mqtt.deliver', 4 + slow, 9 + slow), // a second buyer: the first delivery counts
  ];
}

test('stages of a publish trace; incomplete traces are left out', () => {
  const rows = breakdowns([...trace('a', 1000, 0), ...trace('b', 2000, 10).slice(0, 3)]);
  assert.equal(rows, [
    { authorise: 0.5, 'bridge queue': 0.5, 'kafka append': 2, 'in-order PUBACK': 1, deliver: 1, total: 5 },
  ]);
});

test('the publishes at P50 and P99: stage means that add up to the total', () => {
  const spans = Array.from({ length: 100 }, (_, i) => trace(`t${i}`, i * 100, i === 99 ? 50 : i / 100)).flat();
  const t = stageTable(breakdowns(spans));
  assert.is(t.traces, 100);
  const p99 = t.at.p99;
  const sum = p99.authorise + p99['bridge queue'] + p99['kafka append'] + p99['in-order PUBACK'] + p99.deliver;
  assert.ok(Math.abs(sum - p99.total) < 1e-9);
  assert.ok(p99['kafka append'] > 10, 'the slow publish is in the P99 band, its time in the Kafka write');
  assert.ok(t.at.p50['kafka append'] < 3);
  assert.is(t.stages.authorise.p50, 0.5);
});

test.run();
