// The Grafana dashboard (deploy/helm/itrade/files/itrade-dashboard.json): loads as a dashboard
// (unique ids, panels inside the 24-column grid without overlapping, every query on the
// Prometheus data source variable), covers what the issue lists, and queries only the gateway's
// metrics. That each metric exists in a real gateway's /metrics is
// test/integration/deploy-metrics.test.ts.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DASHBOARD,
  PROMETHEUS_SERIES,
  dashboardQueries,
  promqlMetrics,
  type DashboardPanel,
} from '../helpers/deploy.ts';

const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; query?: unknown }> };
};

test('a well-formed dashboard: unique ids, inside the grid, no overlaps, every query on ${datasource}', () => {
  assert.is(dash.uid, 'itrade-gateway');
  const ids = dash.panels.map((p) => p.id);
  assert.is(new Set(ids).size, ids.length);
  const cells = new Set<string>();
  for (const p of dash.panels) {
    const g = p.gridPos;
    assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${p.title} within 24 columns`);
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        assert.not.ok(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
    if (p.type !== 'row') {
      assert.is(p.datasource?.uid, '${datasource}', p.title);
      assert.ok(
        (p.targets ?? []).length > 0 && p.targets!.every((t) => t.expr.trim() !== ''),
        `${p.title} has queries`,
      );
    }
  }
  assert.equal(
    dash.templating.list.map((v) => v.name),
    ['datasource', 'instance'],
  );
});

test('covers what an operator asked for: one row each', () => {
  const rows = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.equal(rows, [
    'Overview',
    'Connections',
    'Publishes',
    'Kafka bridge',
    'Deliveries and metering',
    'Entitlements and chain',
    'Key exchange',
    'HTTP API',
    'Process health',
  ]);
  const used = new Set(dashboardQueries(dash).flatMap((q) => promqlMetrics(q.expr)));
  for (const m of [
    'itrade_broker_connections',
    'itrade_broker_publishes_total',
    'itrade_broker_publish_refused_total',
    'itrade_broker_connect_refused_total',
    'itrade_bridge_kafka_write_seconds_bucket',
    'itrade_bridge_buffer_entries',
    'itrade_broker_deliveries_total',
    'itrade_broker_metered_entries_total',
    'itrade_chain_cache_hits_total',
    'itrade_chain_rpc_calls_total',
    'itrade_keys_requests_total',
    'itrade_process_cpu_seconds_total',
    'itrade_nodejs_eventloop_lag_p99_seconds',
  ]) {
    assert.ok(used.has(m), m);
  }
});

test(
  "queries only the gateway's metrics (and up); PromQL " + 'metric extraction sees through functions, labels and by()',
  () => {
    assert.equal(
      promqlMetrics(
        'histogram_quantile(0.99, sum by (le, method) ' +
          '(rate(itrade_chain_rpc_seconds_bucket{instance=~"$instance"}[$__rate_interval])))',
      ),
      ['itrade_chain_rpc_seconds_bucket'],
    );
    assert.equal(promqlMetrics('a_total / (b_total + c) > 0.8 * 1e3 unless on (x) d offset 5m'), [
      'a_total',
      'b_total',
      'c',
      'd',
    ]);
    for (const q of dashboardQueries(dash)) {
      const names = promqlMetrics(q.expr);
      assert.ok(names.length > 0, `${q.where} reads a metric`);
      for (const n of names) assert.ok(n.startsWith('itrade_') || PROMETHEUS_SERIES.has(n), `${q.where}: ${n}`);
    }
  },
);

test.run();
