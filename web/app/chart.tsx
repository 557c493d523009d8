// The live chart of a buyer's decrypted readings (uPlot): time on x, the reading's value on y,
// redrawn as readings arrive (live or from history, in one series ordered by time).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Point {
  ts: number;
  value: number;
}

export function Chart({ points, unit }: { points: Point[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(280, el.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 260,
        series: [{}, { label: unit || 'value', stroke: '#0a7', width: 2, points: { show: true, size: 5 } }],
        axes: [{}, { label: unit }],
      },
      [[], []],
      el,
    );
    const resize = () => plot.current?.setSize({ width: width(), height: 260 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.current?.destroy();
    };
  }, [unit]);
  useEffect(() => {
    const sorted = [...points].sort((a, b) => a.ts - b.ts);
    plot.current?.setData([sorted.map((p) => p.ts / 1000), sorted.map((p) => p.value)]);
  }, [points]);
  return <div class="chart" ref={box} data-points={points.length} />;
}
