// The Prometheus alert rules (deploy/helm/itrade/files/itrade-alerts.yaml): `promtool check
// rules`, the unit tests in test/deploy/itrade-alerts.test.yaml (`promtool test rules`), every
// alert covered by a test that expects it to fire, and a rule that stops firing fails those tests
// (so they test something). That each metric exists is test/integration/deploy-metrics.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { tool } from '../../deploy/tools/tools.ts';
import { fromRoot } from '../../lib/paths.ts';
import { ALERT_RULES, PROMETHEUS_SERIES, promqlMetrics, runTool, type AlertRule } from '../helpers/deploy.ts';

const UNIT_TESTS = fromRoot('test', 'deploy', 'itrade-alerts.test.yaml');
const rules = (
  parse(readFileSync(ALERT_RULES, 'utf8')) as { groups: Array<{ name: string; rules: AlertRule[] }> }
).groups.flatMap((g) => g.rules);

test('promtool check rules: the file is valid', async () => {
  const r = await runTool(await tool('promtool'), ['check', 'rules', ALERT_RULES]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('what the issue asks for is alerted on; every alert has a severity, a summary and a description', () => {
  const names = rules.map((r) => r.alert);
  assert.is(new Set(names).size, names.length, 'unique names');
  for (const want of [
    'ITradeKafkaUnavailable',
    'ITradeBridgeBufferHigh',
    'ITradeChainUnreachable',
    'ITradeConnectRefusalSpike',
    'ITradePublishRefusalRatio',
    'ITradeInstanceDown',
  ]) {
    assert.ok(names.includes(want), want);
  }
  for (const r of rules) {
    assert.ok(['warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert} severity`);
    assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert} annotations`);
    for (const m of promqlMetrics(r.expr))
      assert.ok(m.startsWith('itrade_') || PROMETHEUS_SERIES.has(m), `${r.alert}: ${m}`);
  }
});

test('promtool test rules: every unit test passes, and each alert is expected to fire in one', async () => {
  const r = await runTool(await tool('promtool'), ['test', 'rules', UNIT_TESTS]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
  const tests = (
    parse(readFileSync(UNIT_TESTS, 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    }
  ).tests;
  const fired = new Set(
    tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
  );
  assert.equal(
    rules.map((r) => r.alert).filter((a) => !fired.has(a)),
    [],
    'alerts no test sees firing',
  );
});

test('a rule that no longer fires fails the unit tests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-alerts-'));
  try {
    const broken = readFileSync(ALERT_RULES, 'utf8').replace(
      'itrade_bridge_kafka_available == 0',
      'itrade_bridge_kafka_available == 2',
    );
    writeFileSync(join(dir, 'itrade-alerts.yaml'), broken);
    const unit = readFileSync(UNIT_TESTS, 'utf8').replace(
      '../../deploy/helm/itrade/files/itrade-alerts.yaml',
      'itrade-alerts.yaml',
    );
    writeFileSync(join(dir, 'unit.yaml'), unit);
    const r = await runTool(await tool('promtool'), ['test', 'rules', join(dir, 'unit.yaml')]);
    assert.is.not(r.code, 0);
    assert.match(r.stdout + r.stderr, /alertname: ITradeKafkaUnavailable/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
