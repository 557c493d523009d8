// Shared by the deployment tests: running a checking tool and reading its answer, the file set
// the image's `COPY . .` takes (git's files less .dockerignore, matched the way Docker does),
// and the metric names a PromQL expression reads.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT, fromRoot } from '../../lib/paths.ts';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(
  cmd: string,
  args: string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A tool that exits without reading its stdin closes the pipe: the write then fails with EPIPE
    // (an unhandled 'error' that ended test/deploy/docs.test.ts on Node.js 24); its exit tells the rest.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A .dockerignore pattern as a regular expression over a slash-separated relative path. */
function patternRegex(pattern: string): RegExp {
  let p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      // `**/` matches any number of folders, `**` at the end anything.
      re += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += p[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  p = re;
  return new RegExp(`^${p}$`);
}

/**
 * Docker's rule: the last pattern that matches the path or one of its parent folders decides,
 * `!` re-including.
 */
export function dockerIgnored(path: string, patterns: string[]): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const re = patternRegex(neg ? raw.slice(1) : raw);
    if (prefixes.some((p) => re.test(p))) ignored = !neg;
  }
  return ignored;
}

export function dockerignorePatterns(file = fromRoot('.dockerignore')): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The committed files `COPY . .` puts in the image. */
export function imageFiles(): string[] {
  const patterns = dockerignorePatterns();
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  return tracked.filter((f) => !dockerIgnored(f, patterns));
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, keywords or
 * label names (label matchers, `by (...)` lists and strings are removed first). Grafana's
 * `$__rate_interval` and similar variables are removed too.
 */
export function promqlMetrics(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    // A number such as 1e3 or a duration such as 5m is not a name.
    if (/^\d/.test(m[0]) || /[0-9.]$/.test(stripped.slice(0, m.index).trimEnd().slice(-1))) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The series names a Prometheus text exposition offers: each family, and a histogram's or summary's parts. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [name, type] = [m[1]!, m[2]!];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** `kubeconform -strict` against the cached schemas of one Kubernetes release; never the network. */
export function kubeconformArgs(schemasDir: string, kubernetesVersion: string, extra: string[] = []): string[] {
  const location =
    `${schemasDir}/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/` +
    '{{ .ResourceKind }}{{ .KindSuffix }}.json';
  return [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    kubernetesVersion,
    '-schema-location',
    location,
    ...extra,
    '-',
  ];
}

export interface KubeconformReport {
  resources: Array<{ kind: string; name: string; status: string; msg: string }>;
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

export const ALERT_RULES = fromRoot('deploy', 'helm', 'itrade', 'files', 'itrade-alerts.yaml');
export const DASHBOARD = fromRoot('deploy', 'helm', 'itrade', 'files', 'itrade-dashboard.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Array<{ expr: string; refId: string }>;
}

/** Every PromQL expression of the dashboard, with the panel it belongs to. */
export function dashboardQueries(dash: {
  panels: DashboardPanel[];
  templating: { list: Array<{ query?: unknown }> };
}): Array<{ where: string; expr: string }> {
  const out = dash.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  );
  for (const v of dash.templating.list) {
    const q = typeof v.query === 'object' && v.query ? (v.query as { query?: string }).query : undefined;
    const m = q ? /^label_values\((\w+),/.exec(q) : null;
    if (m) out.push({ where: 'variable', expr: m[1]! });
  }
  return out;
}

/** Series Prometheus makes itself, not the gateway. */
export const PROMETHEUS_SERIES = new Set(['up']);
