// The static import graph of TypeScript modules, as the compiler sees it: every import and
// export ... from, `import type` included (a type from a server folder couples the SDK to it
// too), import() with a literal, require() with a literal. Relative specifiers are followed;
// bare ones (npm packages, node: builtins) are recorded where they are imported.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string; // path relative to the root
  specifier: string;
  to?: string; // resolved path relative to the root, for relative specifiers
}

function specifiers(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.arguments.length === 1 && ts.isStringLiteral(n.arguments[0]!)) {
      const callee = n.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require'))
        out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

/** Every module reachable from the entries (paths relative to root), with every import edge. */
export function importGraph(root: string, entries: string[]): { files: Set<string>; edges: ImportEdge[] } {
  const files = new Set<string>();
  const edges: ImportEdge[] = [];
  const queue = entries.map((e) => resolve(root, e));
  while (queue.length > 0) {
    const abs = queue.pop()!;
    const rel = relative(root, abs);
    if (files.has(rel)) continue;
    files.add(rel);
    for (const specifier of specifiers(abs)) {
      if (!specifier.startsWith('.')) {
        edges.push({ from: rel, specifier });
        continue;
      }
      const target = resolve(dirname(abs), specifier);
      if (!existsSync(target)) throw new Error(`${rel}: cannot resolve ${specifier}`);
      edges.push({ from: rel, specifier, to: relative(root, target) });
      queue.push(target);
    }
  }
  return { files, edges };
}

/** node:fs, fs, fs/promises ...: a module only Node.js has. */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
}

/** The chain of imports from an entry to `file`, for a message a person can follow. */
export function pathTo(edges: ImportEdge[], entry: string, file: string): string[] {
  const prev = new Map<string, string>();
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (at === file) break;
    for (const e of edges)
      if (e.from === at && e.to && !seen.has(e.to)) {
        seen.add(e.to);
        prev.set(e.to, at);
        queue.push(e.to);
      }
  }
  const chain = [file];
  while (prev.has(chain[0]!)) chain.unshift(prev.get(chain[0]!)!);
  return chain;
}
