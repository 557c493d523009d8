// A storm of SUBSCRIBEs (issue 16): many buyers of one sensor subscribing at once, each
// authorised against the chain with at most one read per (buyer, sensor), counted by a JSON-RPC
// proxy in front of anvil (bench/rpc-proxy.ts): concurrent checks of one pair share one read and
// checks that wait together leave in one multicall. A buyer without a subscription among them is
// still refused (SUBACK 0x80); the same storm again is answered from the cache, no chain read.
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diff, RpcCounter } from '../../bench/rpc-proxy.ts';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import { connectPrincipal, end, subscribeAck, testGateway } from '../helpers/gateway.ts';
import { Market, type Account } from '../helpers/market.ts';
import { services } from '../helpers/services.ts';

const svc = services();
const BUYERS = 12;
let market: Market;
let proxy: RpcCounter;
let gw: GatewayHandle;
let sensor: string;
const paid: Account[] = [];
let unpaid: Account;
const clients: MqttClient[] = [];

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  const seller = await market.principal('seller');
  ({ sensor } = await market.sensor(seller));
  for (let i = 0; i < BUYERS; i++) {
    const b = await market.principal(`buyer${i}`);
    await market.subscribe(b, sensor, 100);
    paid.push(b);
  }
  unpaid = await market.principal('unpaid');
  proxy = new RpcCounter(svc.rpcUrl);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock, rpcUrl: await proxy.start() });
});

test.after(async () => {
  await end(...clients);
  await gw?.close();
  await proxy?.stop();
  market?.close();
});

async function connect(who: Account, suffix: string): Promise<MqttClient> {
  const client = await connectPrincipal(gw, who, `${who.principal}:${suffix}`);
  clients.push(client);
  return client;
}

/** Every connection subscribes to the sensor at once: the SUBACKs and the eth_calls made meanwhile. */
async function storm(conns: MqttClient[]): Promise<{ granted: number[]; reads: number }> {
  const before = proxy.snapshot();
  const granted = (await Promise.all(conns.map((c) => subscribeAck(c, [`sensors/${sensor}`])))).map((g) => g[0]!);
  return { granted, reads: diff(proxy.snapshot(), before).eth_call ?? 0 };
}

test('buyers of one sensor subscribing at once: at most one chain read per (buyer, sensor)', async () => {
  // Two connections of the first buyer: two SUBSCRIBEs of one pair in the storm.
  const conns = [await connect(paid[0]!, 'b'), ...(await Promise.all(paid.map((b) => connect(b, 'a'))))];
  const refused = await connect(unpaid, 'a');
  const first = await storm([...conns, refused]);
  assert.equal(first.granted, [...conns.map(() => 1), 0x80], 'the paid granted, the unpaid refused');
  const pairs = BUYERS + 1;
  assert.ok(first.reads >= 1 && first.reads <= pairs, `${first.reads} chain reads for ${pairs} (buyer, sensor)`);
  const again = await storm([...conns, refused]);
  assert.equal(again.granted, first.granted);
  assert.is(again.reads, 0, 'the same storm again is answered from the cache');
});

test.run();
