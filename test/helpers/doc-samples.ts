// The code samples of the documentation (docs/*.md, sdk/README.md), found the way a reader finds
// them: fenced blocks. A ts, js or sh block is run by test/integration/docs-*.test.ts unless the
// line right above it says why not, visibly, in one of two forms:
//   *Not run by the docs test: <why>.*
//   *Checked by test/<path>.test.ts: <what>.*
// So a new block is run by default; other languages (json, yaml, text, none) are data or output.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../lib/paths.ts';

export const RUN_LANGS = ['ts', 'js', 'sh', 'bash'] as const;

export interface DocBlock {
  doc: string; // path from the project root
  line: number; // of the opening fence, 1-based
  lang: string;
  code: string;
  /** Why the harness does not run it (the marker's text), or undefined: it runs. */
  notRun?: string;
  /** The test file that checks it instead. */
  checkedBy?: string;
}

const MARKER = /^\s*\*(Not run by the docs test|Checked by (test\/[\w/.-]+\.test\.ts))[^*]*\*\s*$/;

export function docFiles(): string[] {
  const docs = readdirSync(fromRoot('docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('docs', f));
  return [...docs, join('sdk', 'README.md')];
}

export function blocksOf(doc: string, text = readFileSync(fromRoot(doc), 'utf8')): DocBlock[] {
  const lines = text.split('\n');
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const m = k >= 0 ? MARKER.exec(lines[k]!) : null;
    out.push({
      doc,
      line: i + 1,
      lang: open[2]!,
      code: `${body.join('\n')}\n`,
      ...(m ? { notRun: lines[k]!.trim() } : {}),
      ...(m?.[2] ? { checkedBy: m[2] } : {}),
    });
    i = j;
  }
  return out;
}

export function runnable(b: DocBlock): boolean {
  return (RUN_LANGS as readonly string[]).includes(b.lang) && b.notRun === undefined;
}

/** Every marker's test file exists (a renamed test must not leave a doc pointing nowhere). */
export function brokenMarkers(blocks: DocBlock[]): string[] {
  return blocks
    .filter((b) => b.checkedBy && !existsSync(fromRoot(b.checkedBy)))
    .map((b) => `${b.doc}:${b.line} names ${b.checkedBy}, which does not exist`);
}
