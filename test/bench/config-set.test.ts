// bench --set: gateway config values given on the command line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applySets, describeSets, parseSets } from '../../bench/config-set.ts';
import { validateConfig } from '../../config/load.ts';

test('values are JSON when they parse, strings otherwise; paths split on dots', () => {
  assert.equal(parseSets(['bridge.producer.lingerMs=0', 'log.level=debug', 'a.b=[1,2]', 'x=true']), [
    [['bridge', 'producer', 'lingerMs'], 0],
    [['log', 'level'], 'debug'],
    [
      ['a', 'b'],
      [1, 2],
    ],
    [['x'], true],
  ]);
});

test('an item without a key or without = is refused with an example', () => {
  for (const bad of ['lingerMs', '=3', 'a..b=1'])
    assert.throws(() => parseSets([bad]), /expected <key.path>=<value>, e.g. bridge.producer.lingerMs=0/);
});

test('sets apply over the given config, making objects along the path, leaving the input alone', () => {
  const input = { log: { level: 'warn' }, broker: { bus: 'memory' } };
  const out = applySets(input, parseSets(['bridge.producer.lingerMs=0', 'log.level=info']));
  assert.equal(out, { log: { level: 'info' }, broker: { bus: 'memory' }, bridge: { producer: { lingerMs: 0 } } });
  assert.equal(input, { log: { level: 'warn' }, broker: { bus: 'memory' } });
  assert.is(describeSets(parseSets(['bridge.producer.lingerMs=0'])), 'bridge.producer.lingerMs=0');
});

test("the config's validation names a key the set got wrong", () => {
  const cfg = applySets({}, parseSets(['bridge.producer.lingerMS=0']));
  assert.throws(() => validateConfig(cfg, 'bench gateway'), /bridge\.producer\.lingerMS: unknown key/);
});

test.run();
