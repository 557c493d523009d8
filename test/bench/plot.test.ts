import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lineChartSvg } from '../../bench/plot.ts';

test('a chart names every series and draws one line per non-empty series', () => {
  const svg = lineChartSvg('t', 's', 'ms', [
    {
      label: 'gateway p99',
      points: [
        { x: 0, y: 3 },
        { x: 1, y: 2500 },
      ],
    },
    {
      label: 'aedes <raw> p99',
      points: [
        { x: 0, y: 1 },
        { x: 1, y: 1.5 },
      ],
    },
    { label: 'empty', points: [] },
  ]);
  assert.match(svg, /^<svg /);
  assert.match(svg, /gateway p99/);
  assert.match(svg, /aedes &lt;raw&gt; p99/);
  assert.is(svg.match(/<polyline /g)?.length, 2);
  assert.match(svg, />1000</); // the log axis reaches the 2.5 s tail
});

test.run();
