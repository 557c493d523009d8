// The Compose file (deploy/compose.yaml), checked as far as it can be without a container engine:
// compose-config (compose-go, the loader of `docker compose config`) loads it, interpolates and
// validates it against the Compose Specification; then the resolved project is read for what
// must hold for the system to come up: KRaft Kafka, Redis, the chain, a one-shot deploy the
// gateways wait for, three gateways that are ready before HAProxy and the demo start, every
// health-gated dependency having a health check, HAProxy's backends being those gateways on the
// ports the image's configuration opens, and that configuration loading from the gateways'
// environment. Not checked here: that the images pull, build and run (docs/deploy.md).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../config/load.ts';
import { tool } from '../../deploy/tools/tools.ts';
import { fromRoot } from '../../lib/paths.ts';
import { runTool } from '../helpers/deploy.ts';

const COMPOSE = fromRoot('deploy', 'compose.yaml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: Array<{ target: number; published: string }>;
  stop_grace_period?: string;
  restart?: string;
}

async function load(
  file: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; project?: { services: Record<string, Service> }; stderr: string }> {
  const r = await runTool(await tool('composeConfig'), ['-f', file], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return { code: r.code, stderr: r.stderr, project: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

let services: Record<string, Service>;

test.before(async () => {
  const r = await load(COMPOSE);
  assert.is(r.code, 0, r.stderr);
  services = r.project!.services;
});

test("the file loads and validates; exactly the system's services", () => {
  assert.equal(Object.keys(services).sort(), [
    'chain',
    'demo',
    'deploy',
    'gateway-1',
    'gateway-2',
    'gateway-3',
    'kafka',
    'lb',
    'redis',
  ]);
  for (const [name, s] of Object.entries(services)) {
    assert.ok(s.image && !s.image.endsWith(':latest') && s.image.includes(':'), `${name}: a pinned image`);
  }
  const built = Object.entries(services)
    .filter(([, s]) => s.build)
    .map(([n]) => n)
    .sort();
  assert.equal(built, ['demo', 'deploy', 'gateway-1', 'gateway-2', 'gateway-3']);
  assert.ok(services['gateway-1']!.build!.dockerfile.endsWith('deploy/Dockerfile'));
});

test('the loader refuses what docker compose would refuse (unknown keys, dangling depends_on)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itrade-compose-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), 'services:\n  a:\n    image: x:1\n    depends_on: [nowhere]\n');
    const dangling = await load(join(dir, 'a.yaml'));
    assert.is(dangling.code, 1);
    assert.match(dangling.stderr, /nowhere/);
    writeFileSync(join(dir, 'b.yaml'), 'services:\n  a:\n    image: x:1\n    helthcheck: {test: [CMD, true]}\n');
    const typo = await load(join(dir, 'b.yaml'));
    assert.is(typo.code, 1);
    assert.match(typo.stderr, /helthcheck/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every depends_on names a service; service_healthy ones have a health check', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      assert.ok(services[dep], `${name} -> ${dep}`);
      if (condition === 'service_healthy')
        assert.ok(services[dep]!.healthcheck?.test?.length, `${dep} has a health check (${name} waits for it)`);
    }
  }
  for (const g of ['gateway-1', 'gateway-2', 'gateway-3']) {
    const conditions = Object.fromEntries(Object.entries(services[g]!.depends_on!).map(([d, v]) => [d, v.condition]));
    assert.equal(conditions, {
      redis: 'service_healthy',
      kafka: 'service_healthy',
      chain: 'service_healthy',
      deploy: 'service_completed_successfully',
    });
    assert.match(services[g]!.healthcheck!.test.join(' '), /\/readyz/);
    assert.ok(
      Number.parseInt(services[g]!.stop_grace_period ?? '0', 10) > 25,
      'longer than operator.shutdown.timeoutMs',
    );
  }
  for (const s of ['lb', 'demo'])
    for (const g of ['gateway-1', 'gateway-2', 'gateway-3'])
      assert.is(services[s]!.depends_on![g]!.condition, 'service_healthy');
  assert.is(services.deploy!.restart, 'no');
});

test('Kafka in KRaft mode, advertised under the name the gateways use; Redis never evicts', () => {
  const k = services.kafka!.environment!;
  assert.is(k.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.is(k.KAFKA_ADVERTISED_LISTENERS, 'PLAINTEXT://kafka:9092');
  assert.is(services['gateway-1']!.environment!.ITRADE_KAFKA_BROKERS, 'kafka:9092');
  assert.ok(services.kafka!.image!.startsWith('apache/kafka:'));
  assert.ok(services.redis!.command!.includes('noeviction'));
  assert.ok(services.chain!.command!.join(' ').includes('--port 8545'));
  assert.is(services['gateway-1']!.environment!.ITRADE_RPC_URL, 'http://chain:8545');
});

test("the gateways' environment makes a valid configuration from the image's file, one cluster", () => {
  const file = readFileSync(fromRoot('deploy', 'container', 'itrade.yaml'), 'utf8');
  const cfgs = ['gateway-1', 'gateway-2', 'gateway-3'].map((g) =>
    parseConfig(file, g, { env: services[g]!.environment }),
  );
  for (const c of cfgs) {
    assert.is(c.redis.url, 'redis://redis:6379');
    assert.ok(c.broker.auth.jwt.secret.length >= 32);
    assert.is(c.chain.deploymentFile, '/var/lib/itrade/deployment.json');
  }
  assert.is(
    new Set(cfgs.map((c) => `${c.redis.keyPrefix}|${c.broker.auth.jwt.secret}`)).size,
    1,
    'same prefix and secret: one cluster',
  );
  assert.is(services.deploy!.environment!.ITRADE_DEPLOYMENT_FILE, cfgs[0]!.chain.deploymentFile);
});

test(
  'HAProxy: one address for MQTT, WebSocket and HTTP, backends are ' +
    'the three gateways on the configured ports, checked on /readyz',
  () => {
    const cfg = readFileSync(fromRoot('deploy', 'compose', 'haproxy.cfg'), 'utf8');
    const gw = parseConfig(readFileSync(fromRoot('deploy', 'container', 'itrade.yaml'), 'utf8'), 'g', {
      env: services['gateway-1']!.environment,
    });
    const want = {
      'gateways-mqtt': gw.broker.listeners.tcp.port,
      'gateways-ws': gw.broker.listeners.ws.port,
      'gateways-api': gw.broker.http.port,
    };
    for (const [backend, port] of Object.entries(want)) {
      const body = cfg.split(new RegExp(`^backend ${backend}\n`, 'm'))[1]!.split(/\n(?:frontend|backend) /)[0]!;
      const servers = [...body.matchAll(/^\s+server (\S+) (\S+):(\d+)/gm)].map((m) => [m[1], m[2], Number(m[3])]);
      assert.equal(
        servers,
        ['gateway-1', 'gateway-2', 'gateway-3'].map((g) => [g, g, port]),
        backend,
      );
      assert.match(body, /http-check send meth GET uri \/readyz/);
    }
    assert.match(cfg, new RegExp(`check port ${gw.operator.http.port}\\b`));
    assert.equal(services.lb!.ports!.map((p) => p.target).sort(), [1883, 8080, 8083]);
    for (const t of [1883, 8080, 8083]) assert.match(cfg, new RegExp(`bind :${t}\\n`));
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([n]) => n);
    assert.equal(published, ['lb'], 'only the load balancer is reachable from the host');
  },
);

test('the demo runs `itrade sim --demo` through the load balancer with flags the CLI has', async () => {
  const cmd = services.demo!.command!;
  assert.equal(cmd.slice(0, 2), ['sim', '--demo']);
  assert.ok(cmd.includes('http://lb:8080') && cmd.includes('mqtt://lb:1883'));
  const help = await runTool(process.execPath, [fromRoot('bin', 'itrade.mjs'), 'sim', '--help']);
  for (const flag of cmd.filter((a) => a.startsWith('--'))) assert.match(help.stdout, new RegExp(`${flag}\\b`), flag);
});

test.run();
