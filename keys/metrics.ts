// Key exchange metrics: requests answered with a wrapped key (from the cache or the seller's
// agent) or refused (by error code), and the time a buyer waits for the answer.
import { Counter, Histogram, type Registry } from 'prom-client';

export type KeyRequestOutcome = { ok: true; cached: boolean } | { ok: false; code: string };

export type KeyObserver = (outcome: KeyRequestOutcome, seconds: number) => void;

export function createKeyMetrics(registry: Registry): KeyObserver {
  const registers = [registry];
  const requests = new Counter({
    name: 'itrade_keys_requests_total',
    help: 'Key requests answered, by outcome: sent (source cache or agent) or refused (code: the error code).',
    labelNames: ['outcome', 'source', 'code'],
    registers,
  });
  const seconds = new Histogram({
    name: 'itrade_keys_request_seconds',
    help: "Time from a buyer's key request to its answer (includes the seller agent's round trip on a cache miss).",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  return (o, s) => {
    requests.inc(
      o.ok
        ? { outcome: 'sent', source: o.cached ? 'cache' : 'agent', code: '' }
        : { outcome: 'refused', source: '', code: o.code },
    );
    seconds.observe(s);
  };
}
