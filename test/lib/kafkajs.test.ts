// Canary for lib/kafkajs.ts, the repair of kafkajs' RequestQueue (a timer re-armed every
// millisecond on an idle connection; TimeoutNegativeWarning on Node.js 24). On kafkajs' real
// RequestQueue class:
// - the connections of kafkajs use the class lib/kafkajs.ts patched (same module file);
// - kafkajs' own method still arms a timer with nothing to wait for (when this fails, kafkajs is
//   fixed and the repair can go);
// - patched, an idle queue after a response arms none, and a request that waits for a throttle
//   or an in-flight slot is still sent;
// - every file that creates a Kafka client imports Kafka from lib/kafkajs.ts (so the repair is in
//   place before any connection).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestQueue, originalScheduleCheck, type RequestQueueInternals } from '../../lib/kafkajs.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const require = createRequire(import.meta.url);
const silent = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => silent };

interface Queue extends RequestQueueInternals {
  push(r: { entry: { correlationId: number; resolve(): void }; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer | null; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

function queue(maxInFlightRequests: number | null = null): Queue {
  const Ctor = RequestQueue as unknown as new (o: object) => Queue;
  return new Ctor({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, logger: silent });
}

/** Pushes a request; resolves when the queue hands it to the socket. */
function send(q: Queue, correlationId: number): Promise<void> {
  return new Promise((sent) =>
    q.push({ entry: { correlationId, resolve() {} }, expectResponse: true, sendRequest: sent }),
  );
}

test('kafkajs connections use the RequestQueue that lib/kafkajs.ts patched', () => {
  const fromConnection = createRequire(require.resolve('kafkajs/src/network/connection.js'));
  assert.is(fromConnection.resolve('./requestQueue'), require.resolve('kafkajs/src/network/requestQueue/index.js'));
  assert.type(originalScheduleCheck, 'function', 'kafkajs RequestQueue#scheduleCheckPendingRequests is gone');
  assert.is.not(RequestQueue.prototype.scheduleCheckPendingRequests, originalScheduleCheck);
});

test("kafkajs' own method still arms a negative timer on an idle queue (else the repair can go)", () => {
  const q = queue();
  const delays: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  // Records the delay kafkajs asks for, without arming it (Node.js 24 would warn about it).
  globalThis.setTimeout = ((_fn: () => void, ms: number) => {
    delays.push(ms);
    return realSetTimeout(() => undefined, 0);
  }) as typeof setTimeout;
  try {
    originalScheduleCheck.call(q);
  } finally {
    globalThis.setTimeout = realSetTimeout;
    q.destroy();
  }
  assert.is(delays.length, 1, 'kafkajs no longer arms an idle timer: remove the repair in lib/kafkajs.ts');
  assert.ok(delays[0]! < 0, `kafkajs asks for ${delays[0]} ms: review the repair in lib/kafkajs.ts`);
});

test('patched: after a response an idle queue arms no timer', async () => {
  const q = queue();
  try {
    await send(q, 1);
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    assert.is(q.throttleCheckTimeoutId, null);
  } finally {
    q.destroy();
  }
});

test('patched: a request waiting for a throttle or an in-flight slot is still sent', async () => {
  const q = queue(1);
  try {
    await send(q, 1);
    const second = send(q, 2); // waits for the one in-flight slot
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    await second;
    q.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
    q.maybeThrottle(50);
    const third = send(q, 3); // waits for the throttle to end
    assert.ok(q.throttleCheckTimeoutId, 'a check is armed for the end of the throttle');
    await third;
  } finally {
    q.destroy();
  }
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    if (e === 'node_modules' || e.startsWith('.')) return [];
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mts|mjs)$/.test(e) ? [p] : [];
  });
}

test('every file that creates a Kafka client takes Kafka from lib/kafkajs.ts', () => {
  const importsKafka = /import\s+(?!type\b)(?:\w+\s*,\s*)?\{([^}]*)\}\s*from\s*'kafkajs'/;
  const offenders = sources(PROJECT_ROOT).filter((f) => {
    if (relative(PROJECT_ROOT, f) === join('lib', 'kafkajs.ts')) return false;
    const m = importsKafka.exec(readFileSync(f, 'utf8'));
    return m !== null && m[1]!.split(',').some((n) => n.trim() === 'Kafka');
  });
  assert.equal(
    offenders.map((f) => relative(PROJECT_ROOT, f)),
    [],
  );
});

test.run();
