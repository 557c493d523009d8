// The dashboard and the alert rules cannot rot: every metric they query is in the /metrics of a
// real gateway (against the test stack, with prom-client's process metrics as served), so a
// renamed or removed metric fails here instead of leaving an empty panel or a silent alert.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import type { GatewayHandle } from '../../gateway/gateway.ts';
import {
  ALERT_RULES,
  DASHBOARD,
  PROMETHEUS_SERIES,
  dashboardQueries,
  exposedNames,
  promqlMetrics,
  type AlertRule,
} from '../helpers/deploy.ts';
import { testGateway } from '../helpers/gateway.ts';
import { Market } from '../helpers/market.ts';
import { scrape } from '../helpers/metrics.ts';
import { services } from '../helpers/services.ts';

const svc = services();
let market: Market;
let gw: GatewayHandle;
let exposed: Set<string>;

test.before(async () => {
  market = await Market.deploy(svc.rpcUrl);
  gw = await testGateway({ marketplace: market.address, fromBlock: market.deployBlock });
  exposed = exposedNames(await scrape(gw.operatorPort!));
});

test.after(async () => {
  await gw?.close();
  market?.close();
});

const missing = (names: string[]) => names.filter((n) => !exposed.has(n) && !PROMETHEUS_SERIES.has(n));

test('the gateway exposes its families, histograms with their _bucket, _sum and _count', () => {
  for (const n of [
    'itrade_broker_connections',
    'itrade_bridge_kafka_write_seconds_bucket',
    'itrade_process_cpu_seconds_total',
    'itrade_nodejs_eventloop_lag_p99_seconds',
  ]) {
    assert.ok(exposed.has(n), n);
  }
  assert.not.ok(exposed.has('itrade_no_such_metric'));
  assert.ok(exposed.size > 60, `${exposed.size} names`);
});

test('every metric the Grafana dashboard queries exists', () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Parameters<typeof dashboardQueries>[0];
  const gone = dashboardQueries(dash).flatMap((q) => missing(promqlMetrics(q.expr)).map((n) => `${q.where}: ${n}`));
  assert.equal(gone, []);
});

test('every metric the alert rules use exists', () => {
  const rules = (parse(readFileSync(ALERT_RULES, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap(
    (g) => g.rules,
  );
  const gone = rules.flatMap((r) => missing(promqlMetrics(r.expr)).map((n) => `${r.alert}: ${n}`));
  assert.equal(gone, []);
});

test.run();
