// Reading the gateway's Prometheus text the way a scraper does: over HTTP from the operator
// endpoint, then one sample by name and labels.
import { request } from 'node:http';

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The value of `name{labels...}` (labels matched as a subset); 0 when the series is absent. */
export function sample(text: string, name: string, labels: Record<string, string | number> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const labelPart = line[name.length] === '{' ? line.slice(name.length + 1, line.indexOf('}')) : '';
    const have = labelPart ? labelPart.split(',') : [];
    if (!want.every((w) => have.includes(w))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? total : 0;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A GET from a chosen local address (127.0.0.0/8 all routes to loopback on Linux). */
export function getFrom(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
