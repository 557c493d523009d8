// The replay wire format: entry frames carry sequence, offset and timestamp before the untouched
// payload; requests and acks are validated with errors that name the field.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ENTRY_HEADER_BYTES,
  decodeFrame,
  encodeControl,
  encodeEntry,
  parseAck,
  parseRequest,
} from '../../protocol/replay.ts';
import { isItradeError } from '../../protocol/errors.ts';

const LIMITS = { defaultWindow: 100, maxWindow: 1000 };
const SENSOR = '0x' + 'ab'.repeat(20);

function refusal(payload: string): string {
  try {
    parseRequest(Buffer.from(payload), LIMITS);
  } catch (err) {
    assert.ok(isItradeError(err, 'REPLAY_BAD_REQUEST'), String(err));
    return (err as Error).message;
  }
  throw new Error(`accepted: ${payload}`);
}

test('an entry frame round-trips; the payload bytes follow a 21-byte header untouched', () => {
  const payload = randomBytes(300);
  const frame = encodeEntry(7, 2 ** 40 + 3, 1_700_000_000_123, payload);
  assert.is(frame.length, ENTRY_HEADER_BYTES + 300);
  assert.is(frame[0], 0x01);
  assert.ok(Buffer.from(frame.subarray(21)).equals(payload));
  const f = decodeFrame(frame);
  assert.ok('entry' in f);
  if ('entry' in f)
    assert.equal(
      { ...f.entry, payload: [...f.entry.payload] },
      { seq: 7, offset: 2 ** 40 + 3, timestamp: 1_700_000_000_123, payload: [...payload] },
    );
});

test('an empty payload is still an entry; a control message is JSON', () => {
  assert.ok('entry' in decodeFrame(encodeEntry(1, 0, 0, Buffer.alloc(0))));
  const c = decodeFrame(encodeControl({ type: 'end', id: 'r', reason: 'caught-up', sent: 3, next: 9 }));
  assert.equal(c, { control: { type: 'end', id: 'r', reason: 'caught-up', sent: 3, next: 9 } });
});

test('a request: defaults, both kinds of start, addresses lower-cased', () => {
  assert.equal(
    parseRequest(Buffer.from(JSON.stringify({ id: 'r-1', sensor: SENSOR.toUpperCase().replace('0X', '0x') })), LIMITS),
    { id: 'r-1', sensor: SENSOR, window: 100 },
  );
  assert.equal(
    parseRequest(
      Buffer.from(JSON.stringify({ id: 'a', sensor: SENSOR, from: { timestamp: 5 }, window: 3, limit: 9 })),
      LIMITS,
    ),
    { id: 'a', sensor: SENSOR, from: { timestamp: 5 }, window: 3, limit: 9 },
  );
  assert.equal(
    parseRequest(Buffer.from(JSON.stringify({ id: 'a', sensor: SENSOR, from: { offset: 0 } })), LIMITS).from,
    { offset: 0 },
  );
});

test('a bad request names what is wrong', () => {
  assert.match(refusal('not json'), /not JSON/);
  assert.match(refusal('[1]'), /JSON object/);
  assert.match(refusal(JSON.stringify({ sensor: SENSOR })), /^id:/);
  assert.match(refusal(JSON.stringify({ id: 'request', sensor: SENSOR })), /^id:/);
  assert.match(refusal(JSON.stringify({ id: 'a/b', sensor: SENSOR })), /^id:/);
  assert.match(refusal(JSON.stringify({ id: 'a', sensor: 'sensors/1' })), /^sensor:/);
  assert.match(refusal(JSON.stringify({ id: 'a', sensor: SENSOR, from: { timestamp: 1, offset: 2 } })), /^from:/);
  assert.match(refusal(JSON.stringify({ id: 'a', sensor: SENSOR, from: { offset: -1 } })), /^from\.offset:/);
  assert.match(
    refusal(JSON.stringify({ id: 'a', sensor: SENSOR, window: 1001 })),
    /^window: must be an integer from 1 to 1000/,
  );
  assert.match(refusal(JSON.stringify({ id: 'a', sensor: SENSOR, limit: 0 })), /^limit:/);
  assert.match(refusal(JSON.stringify({ id: 'a', sensor: SENSOR, form: {} })), /unknown field form/);
});

test('an ack: cumulative sequence, new window, cancel', () => {
  assert.equal(parseAck(Buffer.from('{"ack":12}'), 1000), { ack: 12 });
  assert.equal(parseAck(Buffer.from('{"ack":3,"window":50}'), 1000), { ack: 3, window: 50 });
  assert.equal(parseAck(Buffer.from('{"cancel":true}'), 1000), { cancel: true });
  assert.throws(() => parseAck(Buffer.from('{"ack":-1}'), 1000), /ack:/);
});

test.run();
