import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigFile, parseConfig } from '../../config/load.ts';
import { ConfigSchema } from '../../config/schema.ts';
import { isItradeError } from '../../protocol/errors.ts';
import { fromRoot } from '../../lib/paths.ts';

function failure(yaml: string, env: NodeJS.ProcessEnv = {}): { code: string; message: string } {
  try {
    parseConfig(yaml, 'test.yaml', { env });
  } catch (err) {
    assert.ok(isItradeError(err), `not an ItradeError: ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  throw new Error(`config was accepted: ${yaml}`);
}

test('an empty file gives every default', () => {
  const cfg = parseConfig('', 'empty.yaml', { env: {} });
  assert.is(cfg.log.level, 'info');
  assert.is(cfg.redis.keyPrefix, 'itrade:');
  assert.equal(cfg.kafka.brokers, []);
  assert.is(cfg.stack.redis.port, 16379);
  assert.is(cfg.stack.kafka.controllerPort, 19093);
  assert.is(cfg.stack.chain.chainId, 31337);
});

test('the result is deep-frozen', () => {
  const cfg = parseConfig('kafka:\n  brokers: [a:1]', 't', { env: {} });
  assert.ok(Object.isFrozen(cfg));
  assert.ok(Object.isFrozen(cfg.stack.kafka));
  assert.ok(Object.isFrozen(cfg.kafka.brokers));
  assert.throws(() => (cfg.kafka.brokers as string[]).push('b:2'));
});

test('unknown key: names the path and what is allowed', () => {
  const f = failure('redis:\n  urll: redis://x');
  assert.is(f.code, 'ITRADE_ERR_CONFIG_INVALID');
  assert.is(f.message, 'test.yaml: redis.urll: unknown key (allowed here: url, keyPrefix, username, password, tls)');
});

test('unknown top-level key', () => {
  assert.match(failure('brokr: {}').message, /^test\.yaml: brokr: unknown key/);
});

test('wrong type: names the path and the value', () => {
  const f = failure('stack:\n  redis:\n    port: abc');
  assert.is(f.code, 'ITRADE_ERR_CONFIG_INVALID');
  assert.is(f.message, 'test.yaml: stack.redis.port: must be integer (got "abc")');
});

test('bad array item: path has the index', () => {
  const f = failure('kafka:\n  brokers: ["a:9092", localhost]');
  assert.is(f.message, 'test.yaml: kafka.brokers[1]: must be host:port (got "localhost")');
});

test('out of range and enum', () => {
  assert.match(failure('stack:\n  kafka:\n    port: 70000').message, /stack\.kafka\.port: must be <= 65535/);
  assert.match(
    failure('log:\n  level: loud').message,
    /log\.level: must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/,
  );
});

test('missing secret: names the variable and the path', () => {
  const f = failure('redis:\n  url: ${ITRADE_TEST_REDIS_SECRET_URL}');
  assert.is(f.code, 'ITRADE_ERR_CONFIG_ENV');
  assert.is(f.message, 'test.yaml: redis.url: environment variable ITRADE_TEST_REDIS_SECRET_URL is not set');
});

test('env interpolation: value, default, typing by schema, escape', () => {
  const yaml = [
    'redis:',
    '  url: redis://:${PW}@h:1/0',
    '  keyPrefix: "$${literal}"',
    'kafka:',
    '  brokers: ${BROKERS}',
    'stack:',
    '  redis:',
    '    port: ${PORT:-6000}',
    '    appendOnly: ${AOF}',
  ].join('\n');
  const cfg = parseConfig(yaml, 't', { env: { PW: 's3cret', BROKERS: 'a:1, b:2', AOF: 'false' } });
  assert.is(cfg.redis.url, 'redis://:s3cret@h:1/0');
  assert.is(cfg.redis.keyPrefix, '${literal}');
  assert.equal(cfg.kafka.brokers, ['a:1', 'b:2']);
  assert.is(cfg.stack.redis.port, 6000);
  assert.is(cfg.stack.redis.appendOnly, false);
});

test('env value of the wrong type fails with the path', () => {
  const f = failure('stack:\n  redis:\n    port: ${P}', { P: 'sixty' });
  assert.is(f.message, 'test.yaml: stack.redis.port: must be a number (got "sixty" from the environment)');
});

test('malformed YAML: line and column, one line', () => {
  const f = failure('kafka:\n  brokers: [a:1\nredis: {');
  assert.is(f.code, 'ITRADE_ERR_CONFIG_YAML');
  assert.match(f.message, /^test\.yaml: line \d+, column \d+: /);
  assert.not.match(f.message, /\n/);
});

test('duplicate keys are an error, not a silent override', () => {
  assert.is(failure('log:\n  level: info\nlog:\n  level: debug').code, 'ITRADE_ERR_CONFIG_YAML');
});

test('a missing file says so', () => {
  try {
    loadConfigFile('/nonexistent/itrade.yaml');
    assert.unreachable();
  } catch (err) {
    assert.ok(isItradeError(err, 'CONFIG_FILE'));
    assert.is((err as Error).message, '/nonexistent/itrade.yaml: cannot read configuration file');
    assert.is(((err as Error).cause as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

type SchemaNode = {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean;
};

test('every field has a description and a default; every object rejects unknown keys', () => {
  const missing: string[] = [];
  const walk = (node: SchemaNode, path: string) => {
    if (path && !node.description) missing.push(`${path}: no description`);
    if (path && node.default === undefined) missing.push(`${path}: no default`);
    if (node.type === 'object') {
      if (node.additionalProperties !== false) missing.push(`${path || '(root)'}: allows unknown keys`);
      for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(ConfigSchema as unknown as SchemaNode, '');
  assert.equal(missing, []);
});

test('config/itrade.yaml is valid and states the schema defaults', () => {
  const shipped = loadConfigFile(fromRoot('config', 'itrade.yaml'), { env: {} });
  const defaults = parseConfig('', 'defaults', { env: {} });
  assert.equal(shipped, defaults);
  assert.match(readFileSync(fromRoot('config', 'itrade.yaml'), 'utf8'), /\$\{ITRADE_REDIS_URL:-\}/);
});

test.run();
