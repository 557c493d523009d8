// The SDK's browser entry as a web page uses it: in Chromium, a device publishes over the
// gateway's WebSocket listener and a buyer gets the key from the seller's agent (running in
// Node.js) and replays the history, all against the real gateway, Kafka and chain.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRoot } from '../../lib/paths.ts';
import { login } from '../../participant/market-ops.ts';
import type { KeyAgent } from '../../sdk/node.ts';
import { openPage, type BrowserPage } from '../helpers/browser.ts';
import { agent, buyer, seller, startMarket, type SimMarket } from '../helpers/sim-market.ts';

let m: SimMarket;
let browser: BrowserPage;
let keyAgent: KeyAgent;

test.before(async () => {
  m = await startMarket();
  browser = await openPage(fromRoot('test', 'sdk', 'browser', 'market-page.ts'));
});

test.after(async () => {
  await browser?.close();
  await keyAgent?.stop();
  await m?.close();
});

test('a device and a buyer in the browser: published over WebSocket, keys exchanged, history decrypted', async () => {
  const s = await seller(m, 'seller', [0]);
  const sensor = s.sensors[0]!;
  const b = await buyer(m, 'buyer', [[sensor.sensor, 100]]);
  keyAgent = await agent(m, s);
  const ws = `ws://127.0.0.1:${m.gw.mqtt.ws}/mqtt`;
  const keyFile = readFileSync(s.keys.pathOf(sensor.sensor), 'utf8');
  assert.equal(await browser.call('device', ws, sensor.sensor, sensor.token, keyFile, 3), [1, 1, 1]);
  const sellerPem = (await s.profile.principalKey()).publicKeyPem();
  const privatePem = readFileSync(b.principalKeyFile, 'utf8');
  const got = await browser.call<{ keys: number[]; reason: string; readings: { keyId: number; seq: number }[] }>(
    'buyer',
    ws,
    b.principal(),
    await login(m.ctx, b),
    privatePem,
    sensor.sensor,
    sellerPem,
  );
  assert.equal(got.keys, [1]);
  assert.is(got.reason, 'caught-up');
  assert.equal(
    got.readings.map((r) => [r.keyId, r.seq]),
    [
      [1, 0],
      [1, 1],
      [1, 2],
    ],
  );
  assert.equal(browser.errors, []);
});

test.run();
