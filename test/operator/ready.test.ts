import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readiness, type ReadyCheck } from '../../operator/ready.ts';

const ok = (name: string, calls: { n: number }): ReadyCheck => ({ name, check: async () => (calls.n++, 'fine') });

test('ready when every check answers; scrapes arriving together share one round', async () => {
  const calls = { n: 0 };
  const r = new Readiness([ok('redis', calls), ok('kafka', calls)], 500);
  const [a, b] = await Promise.all([r.report(), r.report()]);
  assert.ok(a.ready);
  assert.is(a, b);
  assert.is(calls.n, 2);
  assert.equal(Object.keys(a.checks), ['redis', 'kafka']);
  await r.report();
  assert.is(calls.n, 4, 'a later scrape checks again');
});

test('a failing or silent service makes it not ready, named with the reason', async () => {
  const r = new Readiness(
    [
      ok('redis', { n: 0 }),
      { name: 'kafka', check: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:9')) },
      { name: 'chain', check: () => new Promise(() => undefined) },
    ],
    100,
  );
  const rep = await r.report();
  assert.not.ok(rep.ready);
  assert.ok(rep.checks.redis!.ok);
  assert.equal([rep.checks.kafka!.ok, rep.checks.kafka!.detail], [false, 'ECONNREFUSED 127.0.0.1:9']);
  assert.equal([rep.checks.chain!.ok, rep.checks.chain!.detail], [false, 'no answer within 100 ms']);
});

test.run();
