// GET /v1/sensors/:sensor/history: a sensor's history as NDJSON for batch buyers, with the
// entitlement, metering and concurrency caps of the MQTT replay (docs/replay.md "HTTP").
//   {"offset":12,"timestamp":1700000000123,"payload":"<base64>"}   one line per entry
//   {"end":{"reason":"caught-up","sent":1,"next":13}}                last line
//   {"error":{"code":"ITRADE_ERR_...","message":"..."}}              last line when it broke off
// The body is a pull stream: the next chunk is read from Kafka (and metered) only when the
// socket has taken the previous one, so a slow client holds one chunk, not a growing queue.
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ERROR_REPLIES } from '../interfaces/http.ts';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { normAddress } from '../protocol/topics.ts';
import type { Logger } from '../lib/log.ts';
import type { BridgeMetrics } from './metrics.ts';
import { openHistory, type HistoryCursor, type HistoryDeps } from './replay/history.ts';
import type { From } from '../protocol/replay.ts';
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

const Params = Type.Object({
  sensor: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: "the sensor's 0x-prefixed 20-byte hex address" }),
});

// Streamed, so never serialised through this schema: it documents the reply.
const NdjsonReply = Type.String({ description: 'application/x-ndjson: one entry per line, then an end or error line' });

// A description is the phrase a refusal quotes after "must be" (http/validation.ts).
function querySchema(maxLimit: number) {
  const ms = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
  return Type.Object(
    {
      from: Type.Optional(Type.Integer({ ...ms, description: 'a unix time in milliseconds' })),
      offset: Type.Optional(Type.Integer({ ...ms, description: 'a Kafka offset (an integer from 0)' })),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: maxLimit, description: `an integer from 1 to ${maxLimit}` }),
      ),
    },
    {
      additionalProperties: false,
      allOf: [{ not: { required: ['from', 'offset'] }, description: 'give from (ms timestamp) or offset, not both' }],
    },
  );
}

type Query = Static<ReturnType<typeof querySchema>>;

function startAt(q: Query): { from?: From; limit?: number } {
  const from = q.from !== undefined ? { timestamp: q.from } : q.offset !== undefined ? { offset: q.offset } : undefined;
  return { ...(from ? { from } : {}), ...(q.limit !== undefined ? { limit: q.limit } : {}) };
}

export function historyRoutes(opts: HistoryHttpOptions): FastifyPluginAsync {
  return async (app) => {
    const buyers = new WeakMap<FastifyRequest, string>();
    const config = {
      badRequest: 'REPLAY_BAD_REQUEST' as const,
      refused: (code: string) => opts.metrics.replayRefused.inc({ channel: 'http', code }),
    };
    app.get<{ Params: Static<typeof Params>; Querystring: Query }>(
      '/v1/sensors/:sensor/history',
      {
        // The buyer's token first: who may not read gets 401/403 whatever the query says.
        onRequest: async (request) => void buyers.set(request, await opts.verifyBuyer(request)),
        schema: {
          params: Params,
          querystring: querySchema(opts.maxLimit),
          response: { 200: NdjsonReply, ...ERROR_REPLIES },
        },
        config,
      },
      async (request, reply) => {
        const buyer = buyers.get(request)!;
        const sensor = normAddress(request.params.sensor);
        const release = opts.slots.acquire(buyer, 'http');
        let cursor: HistoryCursor;
        try {
          cursor = await openHistory(opts.history, { buyer, sensor, ...startAt(request.query) });
        } catch (err) {
          release();
          throw err;
        }
        opts.log.info({ buyer, sensor, from: cursor.range.from, end: cursor.range.end }, 'history stream started');
        // The stream owns the slot from here.
        const body = Readable.from(lines(cursor, opts, release), { objectMode: true, highWaterMark: 1 });
        return reply.type('application/x-ndjson; charset=utf-8').send(body);
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
