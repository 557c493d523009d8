// The chain adapter on real anvil and Redis: a second check is served from the cache without an
// RPC call, concurrent checks share one load, a chain event refreshes the cache at once, and with
// the node unreachable cached answers serve until their TTL while new checks fail closed.
import { JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChainEntitlements, type ChainOptions } from '../../chain/entitlements.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { connectMqtt, end, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
const log = createLogger({ level: 'silent' });
let market: Market;
let redis: Redis;
let seller: Account;
let buyer: Account;

/** Counts every JSON-RPC request that leaves for the node. */
class CountingProvider extends JsonRpcProvider {
  calls = 0;
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.calls += Array.isArray(payload) ? payload.length : 1;
    return super._send(payload);
  }
}

function adapter(
  prefix: string,
  rpcUrl = svc.rpcUrl,
  ttl = 3600,
): { chain: ChainEntitlements; provider: CountingProvider } {
  const o: ChainOptions = {
    rpcUrl,
    marketplace: market.address,
    chainId: 31337,
    fromBlock: market.deployBlock,
    cacheTtlSec: ttl,
    rpcTimeoutMs: 20_000, // a loaded CI machine answers slowly; no test here waits on the timeout
    pollIntervalMs: 200,
    maxConcurrentLoads: 8,
    maxLoadWaitMs: 30000,
  };
  const provider = new CountingProvider(rpcUrl, Network.from(31337), {
    staticNetwork: Network.from(31337),
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  return { chain: new ChainEntitlements(o, redis, prefix, log, provider), provider };
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  redis = new Redis(svc.redisUrl);
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
});

test.after(async () => {
  await redis.quit();
  market.close();
});

test('the second check is served from the cache without an RPC call', async () => {
  const { chain, provider } = adapter(`${unique('cache')}:`);
  const { sensor } = await market.sensor(seller);
  const first = await chain.sensor(sensor);
  assert.is(first?.status, 'active');
  assert.is(first?.principal, seller.principal);
  const after = provider.calls;
  assert.ok(after > 0);
  assert.equal(await chain.sensor(sensor), first);
  assert.is(await chain.principalOfAccount(seller.wallet.address), seller.principal);
  const afterPrincipal = provider.calls;
  assert.is(await chain.principalOfAccount(seller.wallet.address), seller.principal);
  assert.is(provider.calls, afterPrincipal, 'no RPC for the cached principal');
  chain.stop();
});

test("a principal's RSA key is read from chain and cached", async () => {
  const { chain, provider } = adapter(`${unique('rsa')}:`);
  assert.is(await chain.rsaPublicKey(seller.principal), 'rsa');
  const calls = provider.calls;
  assert.is(await chain.rsaPublicKey(seller.principal), 'rsa');
  assert.is(provider.calls, calls);
  assert.is(await chain.rsaPublicKey(seller.wallet.address), undefined, 'an account is not a principal');
  chain.stop();
});

test('concurrent checks of one key share one load', async () => {
  const { chain, provider } = adapter(`${unique('flight')}:`);
  const one = await market.sensor(seller);
  const two = await market.sensor(seller);
  await chain.sensor(one.sensor);
  const single = provider.calls;
  const answers = await Promise.all(Array.from({ length: 10 }, () => chain.sensor(two.sensor)));
  assert.is(provider.calls - single, single, 'ten concurrent checks cost what one does');
  assert.ok(answers.every((a) => a?.sensor === two.sensor));
  chain.stop();
});

test('a Subscribed and a SensorStatusChanged event refresh the cache at once', async () => {
  const { chain } = adapter(`${unique('events')}:`);
  const { sensor } = await market.sensor(seller);
  assert.equal(await chain.validSubscriptions(buyer.principal, sensor), []);
  await chain.poll(); // sets the starting block
  const events: string[] = [];
  chain.onEvent((e) => events.push(e.kind));
  const subscription = await market.subscribe(buyer, sensor, 7);
  await chain.poll();
  const grants = await chain.validSubscriptions(buyer.principal, sensor);
  assert.equal(
    grants.map((g) => [g.subscription, g.dataEntries]),
    [[subscription, 7]],
  );
  await market.block(sensor);
  await chain.poll();
  assert.is((await chain.sensor(sensor))?.status, 'blocked');
  assert.equal(
    await chain.validSubscriptions(buyer.principal, sensor),
    [],
    'a blocked sensor has no valid subscription',
  );
  assert.equal(events, ['subscribed', 'sensor-status']);
  chain.stop();
});

test('RPC unreachable: cached answers serve until their TTL, new checks fail closed', async () => {
  const prefix = `${unique('down')}:`;
  const { sensor } = await market.sensor(seller);
  const up = adapter(prefix, svc.rpcUrl, 2);
  await up.chain.sensor(sensor);
  up.chain.stop();
  const dead = `http://127.0.0.1:${await freePort()}`;
  const down = adapter(prefix, dead, 2);
  assert.is((await down.chain.sensor(sensor))?.status, 'active', 'served from the cache');
  const other = await market.sensor(seller);
  const refusal = await down.chain.sensor(other.sensor).catch((e: unknown) => e);
  assert.ok(isItradeError(refusal, 'CHAIN_UNAVAILABLE'), 'a new check fails closed');
  let expired = false;
  for (let i = 0; i < 100 && !expired; i++) {
    expired = (await redis.exists(`${prefix}chain:sensor:${sensor}`)) === 0;
    if (!expired) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(expired, 'the cached answer expired');
  const after = await down.chain.sensor(sensor).catch((e: unknown) => e);
  assert.ok(isItradeError(after, 'CHAIN_UNAVAILABLE'), 'after the TTL it fails closed too');
  down.chain.stop();
});

test('CONNECT while the chain is unreachable and nothing is cached: CONNACK 3', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const gw = await testGateway({
    marketplace: market.address,
    rpcUrl: dead,
    broker: { entitlements: { rpcTimeoutMs: 500 } },
  });
  const { sensor } = await market.sensor(seller);
  const token = (await gw.tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
    clientId: sensor,
    username: sensor,
    password: token,
  });
  assert.is(c.returnCode, 3);
  await end(c.client);
  await gw.close();
});

test.run();
