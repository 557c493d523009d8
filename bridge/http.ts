// GET /v1/sensors/:sensor/history: a sensor's history as NDJSON for batch buyers, with the
// entitlement, metering and concurrency caps of the MQTT replay (docs/replay.md "HTTP").
//   {"offset":12,"timestamp":1700000000123,"payload":"<base64>"}   one line per entry
//   {"end":{"reason":"caught-up","sent":1,"next":13}}                last line
//   {"error":{"code":"ITRADE_ERR_...","message":"..."}}              last line when it broke off
// The body is a pull stream: the next chunk is read from Kafka (and metered) only when the
// socket has taken the previous one, so a slow client holds one chunk, not a growing queue.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { BridgeMetrics } from './metrics.ts';
import { openHistory, type HistoryCursor, type HistoryDeps } from './replay/history.ts';
import { parseSensor, type From } from '../protocol/replay.ts';
import type { ReplaySlots } from './replay/slots.ts';

/** Authenticates the caller as a buyer (principal JWT); throws an ItradeError with httpStatus when not. */
export type VerifyBuyer = (request: FastifyRequest) => Promise<string>;

export interface HistoryHttpOptions {
  history: HistoryDeps;
  slots: ReplaySlots;
  metrics: BridgeMetrics;
  log: Logger;
  verifyBuyer: VerifyBuyer;
  chunkEntries: number;
  maxLimit: number;
}

interface Query {
  from?: From;
  limit?: number;
}

function intParam(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw itradeError('REPLAY_BAD_REQUEST', `${name}: must be an integer from ${min} to ${max}`);
  return n;
}

export function parseHistoryQuery(q: Record<string, unknown>, maxLimit: number): Query {
  const unknown = Object.keys(q).filter((k) => !['from', 'offset', 'limit'].includes(k));
  if (unknown.length > 0)
    throw itradeError('REPLAY_BAD_REQUEST', `unknown parameter ${unknown[0]} (allowed: from, offset, limit)`);
  if (q.from !== undefined && q.offset !== undefined)
    throw itradeError('REPLAY_BAD_REQUEST', 'give from (ms timestamp) or offset, not both');
  const out: Query = {};
  const ts = intParam(q.from, 'from', 0);
  const offset = intParam(q.offset, 'offset', 0);
  if (ts !== undefined) out.from = { timestamp: ts };
  if (offset !== undefined) out.from = { offset };
  const limit = intParam(q.limit, 'limit', 1, maxLimit);
  if (limit !== undefined) out.limit = limit;
  return out;
}

export function historyRoutes(opts: HistoryHttpOptions): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { sensor: string }; Querystring: Record<string, unknown> }>(
      '/v1/sensors/:sensor/history',
      async (request, reply) => {
        let release: (() => void) | undefined;
        try {
          const buyer = await opts.verifyBuyer(request);
          const sensor = parseSensor(request.params.sensor);
          const q = parseHistoryQuery(request.query, opts.maxLimit);
          release = opts.slots.acquire(buyer, 'http');
          const cursor = await openHistory(opts.history, { buyer, sensor, ...q });
          opts.log.info({ buyer, sensor, from: cursor.range.from, end: cursor.range.end }, 'history stream started');
          const body = Readable.from(lines(cursor, opts, release), { objectMode: true, highWaterMark: 1 });
          release = undefined; // the stream owns the slot now
          return reply.type('application/x-ndjson; charset=utf-8').send(body);
        } catch (err) {
          release?.();
          return refuse(reply, err, opts);
        }
      },
    );
  };
}

// Readable.from calls return() when the client goes away, so `finally` frees the slot then too.
async function* lines(cursor: HistoryCursor, opts: HistoryHttpOptions, release: () => void): AsyncGenerator<string> {
  let reason = 'disconnected'; // until the walk ends or breaks
  try {
    for (;;) {
      const step = await cursor.step(opts.chunkEntries);
      if (step.entries.length > 0) {
        yield step.entries
          .map(
            (e) =>
              JSON.stringify({ offset: e.offset, timestamp: e.timestamp, payload: e.value.toString('base64') }) + '\n',
          )
          .join('');
        opts.metrics.replayEntries.inc({ channel: 'http' }, step.entries.length);
      }
      if (step.end) {
        reason = step.end;
        yield JSON.stringify({ end: { reason, sent: cursor.sent, next: cursor.nextOffset } }) + '\n';
        return;
      }
    }
  } catch (err) {
    const e = isItradeError(err) ? err : itradeError('KAFKA_READ_FAILED', (err as Error).message, { cause: err });
    reason = 'error';
    opts.log.warn({ code: e.code, err: e.message }, 'history stream broke off');
    yield JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n';
  } finally {
    opts.metrics.replayEnded.inc({ channel: 'http', reason });
    release();
  }
}

function refuse(reply: FastifyReply, err: unknown, opts: HistoryHttpOptions): FastifyReply {
  if (!isItradeError(err)) {
    // Not one of ours (a bug, or a verifyBuyer that throws plain errors): no details out.
    opts.log.error({ err: (err as Error).message }, 'history request failed');
    return reply.code(500).send({ error: { code: null, message: 'internal error' } });
  }
  opts.metrics.replayRefused.inc({ channel: 'http', code: err.code });
  return reply.code(err.httpStatus).send({ error: { code: err.code, message: err.message } });
}
