// Key exchange metrics: each answered request is counted by outcome and timed, on the
// KeyService with in-memory fakes (the full protocol is in key-service.test.ts).
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SellerChannel } from '../../interfaces/layers.ts';
import { buyerKeyRequestTopic } from '../../protocol/topics.ts';
import { KeyService } from '../../keys/key-service.ts';
import { createKeyMetrics } from '../../keys/metrics.ts';
import { createLogger } from '../../lib/log.ts';
import {
  FakeDirectory,
  FakeEntitlements,
  FakeMeter,
  MemoryWrappedKeyCache,
  RecordingBuyerChannel,
} from '../helpers/key-exchange-fakes.ts';
import { sample } from '../helpers/metrics.ts';

const addr = (c: string) => `0x${c.repeat(40)}`;

test('refused requests are counted by error code, each one timed', async () => {
  const registry = new Registry();
  const entitlements = new FakeEntitlements();
  entitlements.addSensor(addr('1'), addr('a'));
  const silentAgent: SellerChannel = { send: async () => undefined };
  const service = new KeyService({
    entitlements,
    meter: new FakeMeter(),
    directory: new FakeDirectory(),
    buyers: new RecordingBuyerChannel(),
    sellers: silentAgent,
    cache: new MemoryWrappedKeyCache(),
    options: { agentTimeoutMs: 100, cacheTtlSec: 60, maxPendingPerBuyer: 8 },
    log: createLogger({ level: 'silent' }),
    observe: createKeyMetrics(registry),
  });
  const buyer = addr('b');
  const ask = (body: object) =>
    service.onBuyerMessage(buyer, buyerKeyRequestTopic(buyer), Buffer.from(JSON.stringify(body)));
  await ask({ id: 'r1', sensor: addr('1'), keyId: 1 }); // no subscription
  await ask({ id: 'r2', sensor: addr('1') }); // malformed: no keyId
  await ask({ id: 'r3', sensor: addr('1'), keyId: 2 });
  const text = await registry.metrics();
  assert.is(
    sample(text, 'itrade_keys_requests_total', { outcome: 'refused', code: 'ITRADE_ERR_CRYPTO_KEY_NOT_ENTITLED' }),
    2,
  );
  assert.is(
    sample(text, 'itrade_keys_requests_total', { outcome: 'refused', code: 'ITRADE_ERR_CRYPTO_KEY_REQUEST_INVALID' }),
    1,
  );
  assert.is(sample(text, 'itrade_keys_request_seconds_count'), 3);
  service.close();
});

test.run();
