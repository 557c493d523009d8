// The Helm chart (deploy/helm/itrade): `helm lint --strict`, and `helm template` piped into
// `kubeconform -strict` against the schemas of the oldest and newest Kubernetes the chart
// supports (offline, from the tool cache), for the minimal values and for values that differ from
// every default (TLS on, 5 replicas, autoscaling off, ES256, the chart's own Secret, monitoring).
// The rendered objects are then read as the cluster would: probes, shutdown timing, ports and
// Services, and the ConfigMap's YAML loaded by the gateway's own config loader.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import { PINS, tool } from '../../deploy/tools/tools.ts';
import { fromRoot } from '../../lib/paths.ts';
import { kubeconformArgs, runTool, type KubeconformReport } from '../helpers/deploy.ts';

const CHART = fromRoot('deploy', 'helm', 'itrade');
const MINIMAL = `${CHART}/ci/minimal-values.yaml`;
const PRODUCTION = `${CHART}/ci/production-values.yaml`;
const [OLDEST, NEWEST] = PINS.kubernetesSchemas.kubernetesVersions;

type K8s = {
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

async function helm(args: string[]) {
  return runTool(await tool('helm'), args);
}

async function render(
  values: string[],
  set: string[] = [],
  kube: string = OLDEST!,
): Promise<{ text: string; objects: K8s[] }> {
  const r = await helm([
    'template',
    'it',
    CHART,
    '--kube-version',
    kube,
    ...values.flatMap((v) => ['-f', v]),
    ...set.flatMap((s) => ['--set', s]),
  ]);
  assert.is(r.code, 0, r.stderr);
  return {
    text: r.stdout,
    objects: parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as K8s)
      .filter(Boolean),
  };
}

async function kubeconform(manifests: string, kube: string, extra: string[] = []): Promise<KubeconformReport> {
  const r = await runTool(await tool('kubeconform'), kubeconformArgs(await tool('kubernetesSchemas'), kube, extra), {
    input: manifests,
  });
  return JSON.parse(r.stdout) as KubeconformReport;
}

const one = (objs: K8s[], kind: string, suffix = '') => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === `it-itrade${suffix}`);
  assert.is(found.length, 1, `one ${kind} it-itrade${suffix}`);
  return found[0]!;
};

test('helm lint --strict: minimal and production values', async () => {
  for (const v of [MINIMAL, PRODUCTION]) {
    const r = await helm(['lint', '--strict', CHART, '-f', v]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test(`helm template | kubeconform -strict: every object valid on Kubernetes ${OLDEST} and ${NEWEST}`, async () => {
  for (const kube of [OLDEST!, NEWEST!]) {
    const { text, objects } = await render([MINIMAL], [], kube);
    const report = await kubeconform(text, kube);
    assert.equal(
      report.resources.filter((r) => r.status !== 'statusValid'),
      [],
      `kube ${kube}`,
    );
    assert.equal(report.summary, { valid: objects.length, invalid: 0, errors: 0, skipped: 0 });
    assert.equal(objects.map((o) => o.kind).sort(), [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
      'Service',
      'ServiceAccount',
    ]);
  }
});

test('kubeconform -strict does reject an unknown field and a wrong type (the schemas are really loaded)', async () => {
  const { objects } = await render([MINIMAL]);
  const dep = one(objects, 'Deployment');
  dep.spec.template.spec.containers[0].livenessProbe.periodSecond = 10;
  dep.spec.progressDeadlineSeconds = 'soon';
  const report = await kubeconform(JSON.stringify(dep), OLDEST!);
  assert.is(report.summary.invalid, 1);
  assert.match(report.resources[0]!.msg, /periodSecond/);
  assert.match(report.resources[0]!.msg, /progressDeadlineSeconds/);
});

/** The ConfigMap's itrade.yaml, loaded as the gateway loads it, with the env the Deployment sets. */
function gatewayConfig(objects: K8s[], env: Record<string, string>) {
  const dep = one(objects, 'Deployment');
  const fromDeployment = Object.fromEntries(
    (dep.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>)
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, e.value!]),
  );
  assert.is(fromDeployment.ITRADE_CONFIG, '/etc/itrade/config/itrade.yaml');
  return parseConfig(one(objects, 'ConfigMap').data!['itrade.yaml']!, 'configmap', {
    env: { ...fromDeployment, ...env },
  });
}

test(
  'defaults: autoscaled Deployment, PDB, probes on the ' + 'operator endpoint, preStop and grace tied to the shutdown',
  async () => {
    const { objects } = await render([MINIMAL]);
    const dep = one(objects, 'Deployment');
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    assert.is(dep.spec.replicas, undefined, 'the HPA owns the replica count');
    const hpa = one(objects, 'HorizontalPodAutoscaler');
    assert.equal([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.name], [3, 12, 'it-itrade']);
    assert.is(one(objects, 'PodDisruptionBudget').spec.maxUnavailable, 1);
    assert.equal(
      [c.livenessProbe.httpGet, c.readinessProbe.httpGet],
      [
        { path: '/healthz', port: 'operator' },
        { path: '/readyz', port: 'operator' },
      ],
    );
    const cfg = gatewayConfig(objects, { ITRADE_JWT_SECRET: 'x'.repeat(32) });
    assert.ok(
      c.readinessProbe.timeoutSeconds * 1000 > cfg.operator.readyTimeoutMs,
      'a slow check answers 503 before the probe times out',
    );
    const preStop = Number(c.lifecycle.preStop.exec.command[1]);
    assert.is(preStop, 5);
    assert.ok(
      pod.terminationGracePeriodSeconds >= preStop + cfg.operator.shutdown.timeoutMs / 1000,
      'the kubelet waits for the whole shutdown',
    );
    assert.ok(cfg.operator.shutdown.timeoutMs >= 2 * cfg.operator.shutdown.drainTimeoutMs);
    assert.equal([cfg.operator.shutdown.drainTimeoutMs, cfg.operator.shutdown.timeoutMs], [10_000, 25_000]);
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.ok(c.securityContext.readOnlyRootFilesystem && pod.securityContext.runAsNonRoot);
  },
);

test('the ConfigMap is a valid gateway configuration; ports, Services and container agree', async () => {
  const { objects } = await render([MINIMAL]);
  const cfg = gatewayConfig(objects, { ITRADE_JWT_SECRET: 'x'.repeat(32) });
  assert.equal(cfg.kafka.brokers, ['itrade-kafka-kafka-bootstrap.kafka:9092']);
  assert.is(cfg.redis.url, 'redis://itrade-redis-master.redis:6379');
  assert.is(
    cfg.chain.marketplace.toLowerCase(),
    '0x5fbdb2315678afecb367f032d93f642f64180aa3',
    'the address stays a string',
  );
  assert.is(cfg.broker.auth.devSecret, false);
  assert.is(cfg.operator.http.host, '0.0.0.0');
  const c = one(objects, 'Deployment').spec.template.spec.containers[0];
  const port = (name: string) =>
    (c.ports as Array<{ name: string; containerPort: number }>).find((p) => p.name === name)?.containerPort;
  assert.equal(
    [port('mqtt'), port('mqtt-ws'), port('http'), port('operator'), port('mqtts')],
    [
      cfg.broker.listeners.tcp.port,
      cfg.broker.listeners.ws.port,
      cfg.broker.http.port,
      cfg.operator.http.port,
      undefined,
    ],
  );
  const mqtt = one(objects, 'Service', '-mqtt');
  assert.equal(
    mqtt.spec.ports.map((p: { targetPort: string }) => p.targetPort),
    ['mqtt', 'mqtt-ws'],
  );
  assert.is(mqtt.spec.externalTrafficPolicy, 'Local', 'client addresses reach the gateway');
  assert.equal(
    one(objects, 'Service', '-http').spec.ports.map((p: { targetPort: string }) => p.targetPort),
    ['http'],
  );
  assert.not.ok(
    objects.some((o) => o.kind === 'Service' && JSON.stringify(o.spec.ports).includes('operator')),
    'the operator port is in no Service',
  );
  // A secret URL wins over the value; without one the value is used.
  assert.is(
    gatewayConfig(objects, { ITRADE_JWT_SECRET: 'x'.repeat(32), ITRADE_REDIS_URL: 'rediss://:pw@r:6380' }).redis.url,
    'rediss://:pw@r:6380',
  );
});

test(
  'production values: TLS on, 5 replicas, no HPA, ES256, ' + 'the chart-made Secret, merged config, monitoring',
  async () => {
    const { text, objects } = await render([PRODUCTION], [], NEWEST);
    const report = await kubeconform(text, NEWEST!, ['-skip', 'PodMonitor,PrometheusRule']);
    assert.equal(
      report.resources.filter((r) => !['statusValid', 'statusSkipped'].includes(r.status)),
      [],
    );
    assert.equal(report.summary, { valid: objects.length - 2, invalid: 0, errors: 0, skipped: 2 });
    const dep = one(objects, 'Deployment');
    const pod = dep.spec.template.spec;
    assert.is(dep.spec.replicas, 5);
    assert.not.ok(objects.some((o) => o.kind === 'HorizontalPodAutoscaler'));
    const cfg = gatewayConfig(objects, {
      ITRADE_REDIS_URL: 'rediss://:a-redis-password@redis.example.internal:6380',
      ITRADE_RPC_URL: 'https://rpc.example.internal/v1/an-api-key',
    });
    assert.ok(cfg.broker.listeners.tls.enabled);
    const mounts = Object.fromEntries(
      pod.containers[0].volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
    );
    assert.ok(
      cfg.broker.listeners.tls.certFile.startsWith(`${mounts.tls}/`) &&
        cfg.broker.listeners.tls.keyFile.startsWith(`${mounts.tls}/`),
    );
    assert.ok(cfg.broker.auth.jwt.privateKeyFile.startsWith(`${mounts.jwt}/`));
    assert.equal(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret, { secretName: 'itrade-mqtt-tls' });
    assert.ok(
      one(objects, 'Service', '-mqtt').spec.ports.some(
        (p: { name: string; port: number }) => p.name === 'mqtts' && p.port === 8883,
      ),
    );
    assert.equal(Object.keys(one(objects, 'Secret').stringData!).sort(), ['redis-url', 'rpc-url']);
    assert.is(cfg.sovereignty.region, 'eu-central');
    assert.equal(
      [cfg.broker.limits.connectRate.perSec, cfg.broker.limits.connectRate.burst],
      [50, 100],
      'merged over the defaults',
    );
    assert.is(pod.terminationGracePeriodSeconds, 10 + 45 + 5);
    assert.is(cfg.broker.entitlements.chainId, 11155111);
    const rules = parse(readFileSync(`${CHART}/files/itrade-alerts.yaml`, 'utf8')) as { groups: unknown[] };
    assert.equal(one(objects, 'PrometheusRule').spec.groups, rules.groups);
    const dash = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'it-itrade-dashboard')!;
    assert.equal(
      JSON.parse(dash.data!['itrade-dashboard.json']!),
      JSON.parse(readFileSync(`${CHART}/files/itrade-dashboard.json`, 'utf8')),
    );
  },
);

test('mistakes in values stop the render with the value to fix', async () => {
  const cases: Array<[string[], string[], RegExp]> = [
    [[], [], /kafka\.brokers: list the Kafka bootstrap brokers|secrets: set secrets\.existingSecret/],
    [[MINIMAL], ['kafka.brokers=null'], /kafka\.brokers/],
    [[MINIMAL], ['shutdown.timeoutMs=15000'], /shutdown\.timeoutMs must be at least twice shutdown\.drainTimeoutMs/],
    [[MINIMAL], ['tls.enabled=true'], /tls\.secretName/],
    [[MINIMAL], ['replicas=3'], /additional properties 'replicas' not allowed/],
    [[MINIMAL], ['chain.marketplace=0x12'], /chain\/marketplace/],
    [[MINIMAL], ['secrets.existingSecret=', 'secrets.create=true', 'secrets.jwtSecret=short'], /at least 32 bytes/],
  ];
  for (const [values, set, want] of cases) {
    const r = await helm([
      'template',
      'it',
      CHART,
      '--kube-version',
      OLDEST!,
      ...values.flatMap((v) => ['-f', v]),
      ...set.flatMap((s) => ['--set', s]),
    ]);
    assert.is.not(r.code, 0, `${set.join(' ')} must fail`);
    assert.match(r.stderr, want);
  }
});

test.run();
