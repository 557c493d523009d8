// Two broker processes sharing Redis and Kafka behave as one: a device on one and a buyer on
// the other, the buyer gets the data from the sensor's Kafka log (not over the Redis bus); a
// persistent buyer away while its instance restarts gets everything published meanwhile.
import type { ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import type { TokenService } from '../../auth/jwt.ts';
import { connectMqtt, end, publishAck, subscribeAck, testConfig, waitFor } from '../helpers/gateway.ts';
import { startGatewayProcess, stopGatewayProcess, testTokens } from '../helpers/gateway-cluster.ts';
import { Market, type Account } from '../helpers/market.ts';
import { CommandLog } from '../helpers/redis-monitor.ts';
import { services, unique } from '../helpers/services.ts';

const svc = services();
let market: Market;
let tokens: TokenService;
let config: object;
const procs: ChildProcess[] = [];
let seller: Account;
let buyer: Account;
let sensor: string;
let keyPrefix: string;
let monitor: CommandLog;

/** Cluster-bus messages (PUBLISH on this test's bus prefix) Redis ran between two marks. */
function busPublishes(from: number, to: number): string[][] {
  return monitor
    .between(from, to)
    .filter((a) => a[0]!.toLowerCase() === 'publish' && a[1]!.startsWith(`${keyPrefix}mq/`));
}

function startProcess(bus: 'redis' | 'memory' = 'redis'): Promise<{ proc: ChildProcess; port: number }> {
  const cfg = config as { broker: object };
  return startGatewayProcess({ ...cfg, broker: { ...cfg.broker, bus } }, procs);
}

const stopProcess = stopGatewayProcess;

async function buyerOn(
  port: number,
  clean: boolean,
): Promise<{ client: MqttClient; sessionPresent: boolean; got: string[] }> {
  const token = (await tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token;
  const got: string[] = [];
  const c = await connectMqtt(`mqtt://127.0.0.1:${port}`, {
    clientId: `${buyer.principal}:persistent`,
    username: buyer.principal,
    password: token,
    clean,
  });
  assert.is(c.returnCode, 0);
  c.client.on('message', (t, p) => t.startsWith('sensors/') && got.push(p.toString()));
  return { client: c.client, sessionPresent: c.sessionPresent, got };
}

async function deviceOn(port: number): Promise<MqttClient> {
  const token = (await tokens.issueSensor(sensor, seller.principal, 600)).token;
  const c = await connectMqtt(`mqtt://127.0.0.1:${port}`, { clientId: sensor, username: sensor, password: token });
  assert.is(c.returnCode, 0);
  return c.client;
}

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  keyPrefix = `${unique('cluster')}:`;
  monitor = await CommandLog.start(svc.redisUrl);
  // Plain data: testConfig validates it; each process validates it again.
  config = JSON.parse(
    JSON.stringify(testConfig({ marketplace: market.address, fromBlock: market.deployBlock, keyPrefix })),
  ) as object;
  tokens = await testTokens();
  seller = await market.principal('seller');
  buyer = await market.principal('buyer');
  sensor = (await market.sensor(seller)).sensor;
  await market.subscribe(buyer, sensor, 100);
});

test.after(async () => {
  await monitor?.stop();
  await Promise.all(procs.map(stopProcess));
  market.close();
});

test('a device on one instance, a buyer on the other: the buyer gets the data', async () => {
  const [a, b] = await Promise.all([startProcess(), startProcess()]);
  const buyerB = await buyerOn(b.port, true);
  assert.equal(await subscribeAck(buyerB.client, [`sensors/${sensor}`]), [1]);
  const dev = await deviceOn(a.port);
  const from = await monitor.mark();
  for (const v of ['t1', 't2', 't3']) assert.is(await publishAck(dev, `sensors/${sensor}`, v), 'acked');
  await waitFor('three readings across instances', () => buyerB.got.length === 3);
  assert.equal(buyerB.got, ['t1', 't2', 't3']);
  const bus = busPublishes(from, await monitor.mark()).filter((a) => a[1]!.includes('sensors/'));
  assert.equal(bus, [], 'sensor data does not travel the Redis bus');
  await end(buyerB.client, dev);
  await Promise.all([stopProcess(a.proc), stopProcess(b.proc)]);
});

test('a persistent buyer away while its instance restarts gets everything published meanwhile', async () => {
  const a = await startProcess();
  const b = await startProcess();
  const first = await buyerOn(a.port, false);
  assert.equal(await subscribeAck(first.client, [`sensors/${sensor}`]), [1]);
  await end(first.client);
  const dev = await deviceOn(b.port);
  const sent = Array.from({ length: 60 }, (_, i) => `q${i}`);
  for (const v of sent.slice(0, 30)) assert.is(await publishAck(dev, `sensors/${sensor}`, v), 'acked');
  const stopping = stopProcess(a.proc);
  for (const v of sent.slice(30)) assert.is(await publishAck(dev, `sensors/${sensor}`, v), 'acked');
  await stopping;
  const a2 = await startProcess();
  const back = await buyerOn(a2.port, false);
  assert.ok(back.sessionPresent, 'the session is still there');
  await waitFor('every reading published while away', () => back.got.length >= sent.length);
  assert.equal(back.got, sent);
  await end(back.client, dev);
  await Promise.all([stopProcess(a2.proc), stopProcess(b.proc)]);
});

test('broker.bus memory: sensor data still reaches another instance, from Kafka, not over Redis', async () => {
  const [a, b] = await Promise.all([startProcess('memory'), startProcess('memory')]);
  const buyerA = await buyerOn(a.port, true);
  const other = await connectMqtt(`mqtt://127.0.0.1:${b.port}`, {
    clientId: `${buyer.principal}:other`,
    username: buyer.principal,
    password: (await tokens.issuePrincipal(buyer.principal, buyer.wallet.address, 600)).token,
  });
  const onB: string[] = [];
  other.client.on('message', (_t, p) => onB.push(p.toString()));
  assert.equal(await subscribeAck(buyerA.client, [`sensors/${sensor}`]), [1]);
  assert.equal(await subscribeAck(other.client, [`sensors/${sensor}`]), [1]);
  const dev = await deviceOn(a.port);
  const from = await monitor.mark();
  for (const v of ['m1', 'm2', 'm3']) assert.is(await publishAck(dev, `sensors/${sensor}`, v), 'acked');
  // Both connections of the buyer read one cursor: together they get the three, in order.
  await waitFor('three readings', () => new Set([...buyerA.got, ...onB]).size === 3);
  for (const got of [buyerA.got, onB]) assert.equal(got, [...got].sort(), 'in order');
  assert.equal(busPublishes(from, await monitor.mark()), [], 'the in-process bus does not reach Redis');
  await end(buyerA.client, other.client, dev);
  await Promise.all([stopProcess(a.proc), stopProcess(b.proc)]);
});

test.run();
