// Renders docs/configuration.md from the schema, so the reference can never drift from what the
// loader accepts (test/config/docs.test.ts fails when the committed file is stale; regenerate
// with `npm run docs:config`).
import { ConfigSchema } from './schema.ts';

interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  hint?: string;
}

function typeOf(n: Node): string {
  if (n.enum) return 'one of ' + n.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'values'}`;
  const range = n.minimum !== undefined || n.maximum !== undefined ? ` (${n.minimum ?? ''}..${n.maximum ?? ''})` : '';
  return `${n.hint ?? n.type ?? 'value'}${range}`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(n: Node, path: string, out: string[]): void {
  for (const [k, v] of Object.entries(n.properties ?? {})) {
    const p = path ? `${path}.${k}` : k;
    if (v.type === 'object') {
      rows(v, p, out);
    } else {
      out.push(
        `| \`${p}\` | ${cell(typeOf(v))} | \`${cell(JSON.stringify(v.default))}\` | ${cell(v.description ?? '')} |`,
      );
    }
  }
}

export function renderConfigDocs(): string {
  const root = ConfigSchema as unknown as Node;
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'The gateway reads one YAML file (`config/itrade.yaml`, or `--config FILE`, or `$ITRADE_CONFIG`).',
    'Every key is optional; unknown keys are an error. `${VAR}` reads an environment variable and',
    'fails the start naming the key when it is unset; `${VAR:-default}` falls back; `$${` is a',
    'literal `${`. A value that is wholly `${VAR}` takes the type of its key (number, boolean, or a',
    'comma-separated list). Check a file with `itrade config check FILE`.',
    '',
  ];
  for (const [section, node] of Object.entries(root.properties ?? {})) {
    out.push(
      `## \`${section}\``,
      '',
      node.description ?? '',
      '',
      '| Key | Type | Default | Meaning |',
      '| --- | --- | --- | --- |',
    );
    rows(node, section, out);
    out.push('');
  }
  return out.join('\n');
}
