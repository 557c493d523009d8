// kafkajs' Kafka client, with repairs applied before any client exists: every file that creates
// a Kafka client imports it from here (test/lib/kafkajs.test.ts checks that, and that the repairs
// still apply). The second, topic look-ups that cost the square of the topic count on every
// send, is in lib/kafkajs-topics.ts (test/lib/kafkajs-topics.test.ts); the third, the Produce
// request's encoding, in lib/kafkajs-produce.ts (test/lib/kafkajs-produce.test.ts).
// The first: kafkajs 2.2.4 (its last release; the project is unmaintained) arms a timer in
// RequestQueue#scheduleCheckPendingRequests after every response, for `throttledUntil - now` ms,
// even when no request waits and no throttle is on. throttledUntil starts at -1, so the delay is
// about minus the epoch: Node.js clamps it to 1 ms, and the timer's callback arms it again, so each
// broker connection wakes every millisecond for its whole life (tulios/kafkajs#1704). Node.js 24
// also prints a TimeoutNegativeWarning for it (tulios/kafkajs#1751; the open fixes, #1755 and #1768,
// only clamp the delay). Replaced: with nothing pending and no throttle to wait out, no timer; the
// rest as kafkajs does it. A patched file in node_modules (patch-package) would need an install
// script, which `npm ci --omit=dev` (deploy/Dockerfile) and npm's allowScripts make unreliable.
import { createRequire } from 'node:module';
import './kafkajs-topics.ts';
import './kafkajs-produce.ts';

export { Kafka, logLevel, CompressionTypes, Partitioners } from 'kafkajs';

/** What the repair touches of kafkajs' RequestQueue (src/network/requestQueue/index.js). */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

// kafkajs' CHECK_PENDING_REQUESTS_INTERVAL (not exported): how soon to look again at requests
// that wait only for an in-flight slot.
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

const require = createRequire(import.meta.url);
/** kafkajs' RequestQueue class, the one its connections use (the same module instance). */
export const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueInternals;
};

/** kafkajs' own scheduleCheckPendingRequests (the canary shows that it still needs the repair). */
export const originalScheduleCheck = RequestQueue.prototype.scheduleCheckPendingRequests;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return; // one is armed: it reschedules as needed when it fires
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delay: number;
  if (this.pending.length > 0) delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (untilUnthrottled > 0) delay = untilUnthrottled;
  else return; // nothing waits: push() schedules when a request has to wait
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
