/**
 * The import graph of src/, read with TypeScript's own pre-processor so that `import type` and
 * `export … from` count as edges (eslint's import-x/no-cycle skips type-only imports). Used by
 * the architecture test: layer table, deep imports across layers, cycles.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { findCycles } from '../../src/model/compiler/graph';

/** One import of one file: the specifier as written and the src/ file it resolves to. */
export interface ImportEdge {
  from: string;
  specifier: string;
  to: string;
}

/** Every .ts file under `dir`, as paths relative to `root`, sorted. */
export function sourceFiles(root: string, dir = 'src'): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(root, relative))) {
      const child = path.posix.join(relative, name);
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else if (name.endsWith('.ts')) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

/** Resolves a relative specifier the way TypeScript does for our sources: `x.ts`, then `x/index.ts`. */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    if (candidate.endsWith('.ts') && existsSync(path.join(root, candidate))) return candidate;
  }
  return undefined;
}

/** The relative imports (value and type, static and dynamic) of every file under src/. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const to = resolveRelative(root, file, specifier);
      if (to) edges.push({ from: file, specifier, to });
    }
  }
  return edges;
}

/** The layer of a src/ file: its top-level folder, or the file name for src/index.ts and src/worker.ts. */
export function layerOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

/**
 * The cycles of the graph (one per strongly connected component of 2+ files, or a self-import),
 * each as its files in order. Components come from the compiler's own cycle finder.
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const files = [...new Set(edges.flatMap(({ from, to }) => [from, to]))].sort();
  const components = findCycles(files, (file) => next.get(file) ?? []).map((cycle) =>
    cycle.slice(0, -1).sort(),
  );
  const selfImports = files.filter((file) => (next.get(file) ?? []).includes(file)).map((file) => [file]);
  return [...components, ...selfImports];
}
