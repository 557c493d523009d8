// A dependency-free SVG line chart: latency percentiles per second for each run, log-scale y,
// so a 1 ms median and a 2 s tail are both readable on one plot.

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function lineChartSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  width = 900,
  height = 480,
): string {
  const m = { l: 70, r: 220, t: 40, b: 50 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && p.y > 0);
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMin = Math.max(0.01, Math.min(1, ...all.map((p) => p.y)));
  const yMax = Math.max(10, ...all.map((p) => p.y));
  const [l0, l1] = [Math.floor(Math.log10(yMin)), Math.ceil(Math.log10(yMax))];
  const X = (x: number) => m.l + (x / xMax) * w;
  const Y = (y: number) => m.t + h - ((Math.log10(Math.max(y, 10 ** l0)) - l0) / (l1 - l0)) * h;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" ` +
      `font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l}" y="24" font-size="15">${esc(title)}</text>`,
  ];
  for (let e = l0; e <= l1; e++) {
    const y = Y(10 ** e);
    out.push(
      `<line x1="${m.l}" x2="${m.l + w}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const x = (xMax * i) / 5;
    out.push(`<text x="${X(x)}" y="${m.t + h + 18}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + w / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y) && p.y > 0);
    const color = COLORS[i % COLORS.length];
    if (pts.length > 0)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" ` +
          `points="${pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    const ly = m.t + 14 + i * 18;
    out.push(
      `<line x1="${m.l + w + 12}" x2="${m.l + w + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" ` +
        `stroke-width="2"/>`,
      `<text x="${m.l + w + 42}" y="${ly}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
