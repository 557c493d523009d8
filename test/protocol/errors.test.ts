import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ItradeError,
  allErrorSpecs,
  errorCode,
  errorName,
  isItradeError,
  itradeError,
  oneLine,
} from '../../protocol/errors.ts';
import { fromRoot } from '../../lib/paths.ts';

test('docs/errors.md lists exactly the registered codes', () => {
  const doc = readFileSync(fromRoot('docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(ITRADE_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
  const registered = allErrorSpecs()
    .map((s) => s.code)
    .sort();
  assert.equal(documented, registered);
});

test('docs/errors.md gives the CONNACK and HTTP codes the registry has', () => {
  const doc = readFileSync(fromRoot('docs', 'errors.md'), 'utf8');
  for (const spec of allErrorSpecs()) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${spec.code}\``))!;
    const [, , connack, http] = row.split('|').map((c) => c.trim());
    assert.is(connack, spec.mqttReturnCode === undefined ? '' : String(spec.mqttReturnCode), `${spec.code} CONNACK`);
    assert.is(http, spec.httpStatus === undefined ? '' : String(spec.httpStatus), `${spec.code} HTTP`);
  }
});

test('codes are unique and well-formed', () => {
  const codes = allErrorSpecs().map((s) => s.code);
  assert.is(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^ITRADE_ERR_[A-Z0-9_]+$/);
});

test('an error carries code, detail and cause', () => {
  const cause = new Error('ECONNREFUSED');
  const err = itradeError('STACK_UNREACHABLE', 'redis: no answer', { cause });
  assert.instance(err, ItradeError);
  assert.instance(err, Error);
  assert.is(err.code, 'ITRADE_ERR_STACK_UNREACHABLE');
  assert.is(err.message, 'redis: no answer');
  assert.is(err.cause, cause);
  assert.ok(isItradeError(err, 'STACK_UNREACHABLE'));
  assert.not.ok(isItradeError(err, 'CONFIG_FILE'));
  assert.not.ok(isItradeError(cause));
});

test('without detail the default message is used', () => {
  assert.is(itradeError('CONFIG_FILE').message, 'configuration file cannot be read');
});

test('oneLine joins causes on one line with the code', () => {
  const err = itradeError('STACK_START', 'kafka did not start', { cause: new Error('port in use\n  at somewhere') });
  const line = oneLine(err);
  assert.is(line, 'kafka did not start [ITRADE_ERR_STACK_START]: caused by: port in use');
  assert.not.match(line, /\n/);
});

test('oneLine leaves out a cause the message already quotes', () => {
  const err = itradeError('CONFIG_YAML', 'a.yaml: line 1, column 8: Flow sequence must end with a ]', {
    cause: new Error('Flow sequence must end with a ] at line 1, column 8:\n\nstack: [\n       ^'),
  });
  assert.is(oneLine(err), 'a.yaml: line 1, column 8: Flow sequence must end with a ] [ITRADE_ERR_CONFIG_YAML]');
});

test('a code is named by the registry both ways: errorCode and errorName', () => {
  assert.is(errorCode('BRIDGE_CLOSED'), 'ITRADE_ERR_BRIDGE_CLOSED');
  assert.is(errorName(itradeError('BRIDGE_CLOSED')), 'BRIDGE_CLOSED');
  assert.is(errorName('ITRADE_ERR_CRYPTO_KEY_BUSY'), 'CRYPTO_KEY_BUSY');
  assert.is(errorName('ITRADE_ERR_NOT_REGISTERED'), undefined);
  assert.is(errorName(new Error('ITRADE_ERR_BRIDGE_CLOSED')), undefined);
  assert.is(errorName(Object.assign(new Error('x'), { code: 'ITRADE_ERR_BRIDGE_CLOSED' })), undefined, 'not ours');
});

test.run();
