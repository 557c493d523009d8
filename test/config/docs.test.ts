import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderConfigDocs } from '../../config/docs.ts';
import { fromRoot } from '../../lib/paths.ts';

test('docs/configuration.md is generated from the current schema (npm run docs:config)', () => {
  assert.fixture(readFileSync(fromRoot('docs', 'configuration.md'), 'utf8'), renderConfigDocs());
});

test('every leaf key of the schema appears in the reference with its default', () => {
  const doc = renderConfigDocs();
  for (const key of ['log.level', 'redis.url', 'kafka.brokers', 'stack.kafka.heapMb', 'stack.chain.chainId']) {
    assert.match(doc, new RegExp(`\\| \`${key.replace(/\./g, '\\.')}\` \\|`));
  }
  assert.match(doc, /\| `stack\.redis\.port` \| integer \(0\.\.65535\) \| `16379` \|/);
});

test.run();
