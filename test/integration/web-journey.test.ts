// The web app's journey on the real stack, in Debian's Chromium: a seller registers and activates
// a sensor in the app and runs its key agent there; a device (the SDK's Device, in Node.js) with
// the key file and token the app gave publishes; a buyer finds the sensor on the map, subscribes
// paying through its wallet (EIP-1193), and the chart shows the decrypted values the device sent.
// The buyer's private key and the data key never reach the gateway: not in Redis, not in Kafka,
// not in any request or WebSocket frame the pages sent. Screenshots: results/web/ (docs/web.md).
import { Redis } from 'ioredis';
import { mkdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser, type BrowserContext, type Download, type Page } from 'playwright-core';
import { createLogger } from '../../lib/log.ts';
import { fromRoot } from '../../lib/paths.ts';
import { Device, Keyring, MemoryKeyrings } from '../../sdk/node.ts';
import { ensureChromium } from '../../stack/chromium.ts';
import { buildWebApp } from '../../web/build.ts';
import type { Box } from '../../web/app/map-view.ts';
import { kafkaRecords, redisDump } from '../helpers/dump.ts';
import { injectWallet } from '../helpers/eip1193.ts';
import { fundedWallet } from '../helpers/market.ts';
import { findSecret } from '../helpers/secrets.ts';
import { services } from '../helpers/services.ts';
import { startMarket, type SimMarket } from '../helpers/sim-market.ts';

const WAIT = { timeout: 90_000 };
const SHOTS = fromRoot('results', 'web');

let m: SimMarket;
let browser: Browser;
const pages: Page[] = [];
const sent: Buffer[] = []; // every request body, URL and WebSocket frame the pages sent

test.before(async () => {
  await buildWebApp();
  m = await startMarket();
  browser = await chromium.launch({
    executablePath: await ensureChromium(createLogger({ level: 'warn' })),
    headless: true,
    args: ['--no-sandbox'],
  });
});

test.after(async () => {
  await browser?.close();
  await m?.close();
});

async function person(name: string): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await injectWallet(ctx, await fundedWallet(m.market.provider), m.market.provider);
  const page = await ctx.newPage();
  pages.push(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('request', (r) => sent.push(Buffer.from(r.url()), r.postDataBuffer() ?? Buffer.alloc(0)));
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(Buffer.from(f.payload))));
  page.setDefaultTimeout(WAIT.timeout);
  await page.goto(`${m.apiUrl}/app/#/account`);
  return { ctx, page, errors };
}

async function okStatus(page: Page, text: string): Promise<void> {
  const s = page.locator('[data-status]');
  // Done (ok) or failed (error): the status line says which, with the error's code.
  await page.locator(`[data-status=error], [data-status=ok]:has-text(${JSON.stringify(text)})`).waitFor(WAIT);
  assert.is(await s.getAttribute('data-status'), 'ok', (await s.textContent()) ?? '');
}

async function register(page: Page, name: string): Promise<string> {
  await page.click('header button.connect');
  await page.fill('input[name=name]', name);
  await page.click('text=Register and pay');
  // Signed in, or the status line's error (its text says why; waiting out the timeout would not).
  await page.locator('[data-principal], [data-status=error]').first().waitFor(WAIT);
  const failed = page.locator('[data-status=error]');
  if ((await failed.count()) > 0) assert.unreachable(`${name} not registered: ${await failed.textContent()}`);
  return (await page.locator('[data-principal]').getAttribute('data-principal'))!;
}

async function downloaded(page: Page, button: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download', WAIT), page.click(button)]);
  return readFileSync((await (d as Download).path())!, 'utf8');
}

/**
 * Zooms the catalogue's map in around the sensor (the wheel keeps the point under the pointer): the
 * visible area becomes the filter (GraphQL `within`), and the sensor is still on the map and in the list.
 */
async function zoomOnto(page: Page, sensor: string): Promise<void> {
  const dot = page.locator(`svg.map circle[data-sensor="${sensor}"]`);
  const b = (await dot.boundingBox(WAIT))!;
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -120);
  const within = JSON.parse((await page.locator('[data-within]').getAttribute('data-within', WAIT))!) as Box;
  assert.ok(within.north - within.south < 90 && within.east - within.west < 200, JSON.stringify(within));
  await page.locator(`ul.sensor-list a[data-sensor="${sensor}"]`).waitFor(WAIT);
}

async function journey(): Promise<void> {
  const seller = await person('seller');
  await register(seller.page, 'Alice');
  await seller.page.goto(`${m.apiUrl}/app/#/sell`);
  const pickMap = seller.page.locator('form.card svg.map');
  const box = (await pickMap.boundingBox())!;
  await pickMap.click({ position: { x: box.width * 0.52, y: box.height * 0.3 } });
  await seller.page.fill('input[name=price]', '0.001');
  await seller.page.click('form.card button[type=submit]');
  await okStatus(seller.page, 'Sensor registered');
  const sensor = (await seller.page.locator('[data-my-sensor]').getAttribute('data-my-sensor', WAIT))!;
  await seller.page.click(`[data-my-sensor="${sensor}"] >> text=Activate`);
  await okStatus(seller.page, 'Sensor active');
  const line = await seller.page.locator(`[data-mosquitto="${sensor}"]`).textContent(WAIT);
  assert.ok(line?.includes(`-p ${m.gw.mqtt.tcp} -u ${sensor} -i ${sensor}`), line ?? '');
  const token = await downloaded(seller.page, 'text=Download device token');
  const keyFile = await downloaded(seller.page, 'text=Download key file');
  await seller.page.click('text=Run the key agent in this tab');
  await seller.page.locator('[data-agent=running]').waitFor(WAIT);
  // The gateway sees it (GraphQL Principal.keyAgentOnline, from the broker's sessions).
  await seller.page.locator('[data-agent-online=true]').waitFor(WAIT);

  const buyer = await person('buyer');
  const buyerPrincipal = await register(buyer.page, 'Bob');
  await buyer.page.goto(`${m.apiUrl}/app/#/`);
  await zoomOnto(buyer.page, sensor);
  await buyer.page.click(`svg.map circle[data-sensor="${sensor}"]`);
  await buyer.page.fill('input[name=entries]', '20');
  await buyer.page.click('text=Subscribe and pay');
  await okStatus(buyer.page, 'Subscribed');

  const keyrings = new MemoryKeyrings();
  keyrings.save(Keyring.fromJson(keyFile));
  const device = await Device.connect({ url: m.mqttUrl, sensor, token, keyrings });
  const values = [21.5, 22.25, 19.75, 23, 20.5];
  for (const [seq, value] of values.entries())
    await device.publish({ seq, ts: Date.now(), type: 0, value, unit: 'Cel' });
  await device.close();
  await buyer.page.locator(`[data-readings="${values.length}"]`).waitFor(WAIT);
  await buyer.page.locator(`[data-left="${20 - values.length}"]`).waitFor(WAIT);
  const csv = await downloaded(buyer.page, 'text=Export CSV');
  const rows = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  assert.equal(
    rows.map((r) => Number(r[4])),
    values,
  );
  assert.ok(rows.every((r) => r[0] === 'live'));
  assert.is(await buyer.page.locator('.chart').getAttribute('data-points'), String(values.length));

  mkdirSync(SHOTS, { recursive: true });
  await buyer.page.screenshot({ path: `${SHOTS}/desktop-sensor.png`, fullPage: true });
  await seller.page.screenshot({ path: `${SHOTS}/desktop-seller.png`, fullPage: true });
  await buyer.page.setViewportSize({ width: 390, height: 844 });
  await buyer.page.screenshot({ path: `${SHOTS}/phone-sensor.png`, fullPage: true });
  await buyer.page.goto(`${m.apiUrl}/app/#/`);
  await buyer.page.locator(`svg.map circle[data-sensor="${sensor}"]`).waitFor(WAIT);
  await buyer.page.screenshot({ path: `${SHOTS}/phone-map.png`, fullPage: true });

  // What must stay in the browsers: the buyer's private key, the sensor's data key.
  const stored = JSON.parse(await buyer.page.evaluate('JSON.stringify(localStorage)')) as Record<string, string>;
  const pem = Object.entries(stored).find(([k]) => k.startsWith('itrade:principal-key:'))![1];
  const body = pem.split('\n').filter((l: string) => l && !l.startsWith('-----'));
  const der = Buffer.from(body.join(''), 'base64');
  const secrets = [
    Buffer.from(JSON.parse(keyFile).keys[0].key as string, 'base64'),
    der.subarray(99, 147),
    ...body.slice(1, 4).map((l) => Buffer.from(l)),
  ];
  assert.is(findSecret(Buffer.concat(sent), secrets), -1, 'a page sent a secret');
  const redis = new Redis(services().redisUrl);
  try {
    const keys = await redisDump(redis, m.keyPrefix);
    assert.ok(keys.length > 0);
    for (const k of keys) assert.is(findSecret(k.bytes, secrets), -1, `Redis ${k.key} holds a secret`);
  } finally {
    redis.disconnect();
  }
  const records = await kafkaRecords(services().kafkaBrokers, [`${m.topicPrefix}${sensor}`]);
  assert.is(records.length, values.length);
  for (const r of records) assert.is(findSecret(Buffer.concat([r.value, r.meta]), secrets), -1, 'Kafka holds a secret');
  assert.ok(buyerPrincipal.startsWith('0x'));
  assert.equal([...seller.errors, ...buyer.errors], []);
}

test('seller sells, device publishes, buyer sees the values in the chart; secrets stay in the browsers', async () => {
  try {
    await journey();
  } catch (err) {
    // What each person saw when it failed, beside the screenshots of a passing run.
    mkdirSync(SHOTS, { recursive: true });
    const said: string[] = [];
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: `${SHOTS}/failed-${i}.png`, fullPage: true });
      said.push(`page ${i} status: ${(await p.locator('[data-status]').allTextContents()).join(' | ') || 'none'}`);
    }
    if (err instanceof Error) err.message += `\n${said.join('\n')}`;
    throw err;
  }
});

test.run();
