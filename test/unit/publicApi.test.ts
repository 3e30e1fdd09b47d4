/**
 * The public API, pinned: the names `temporal-pipelines` (src/index.ts) and
 * `temporal-pipelines/worker` (src/worker.ts) export, values from the loaded module and types from
 * the TypeScript compiler, compared to test/unit/publicApi.exports.txt.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import * as index from '../../src';
import * as worker from '../../src/worker';

const root = path.join(__dirname, '..', '..');
const listFile = path.join(__dirname, 'publicApi.exports.txt');
const modules = { index, worker } as const;

/** `<module> value <name>` for what exists at run time, `<module> type <name>` for types only. */
function exportedNames(): string[] {
  const files = Object.keys(modules).map((name) => path.join(root, 'src', `${name}.ts`));
  const program = ts.createProgram(files, {
    strict: true,
    module: ts.ModuleKind.CommonJS,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const lines = new Set<string>();
  for (const [name, loaded] of Object.entries(modules)) {
    const runtime = new Set(Object.keys(loaded).filter((key) => key !== '__esModule'));
    const moduleSymbol = checker.getSymbolAtLocation(
      program.getSourceFile(path.join(root, 'src', `${name}.ts`))!,
    )!;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const exported = symbol.getName();
      lines.add(`${name} ${runtime.has(exported) ? 'value' : 'type'} ${exported}`);
    }
    for (const exported of runtime) lines.add(`${name} value ${exported}`);
  }
  return [...lines].sort();
}

describe('public API', () => {
  it('exports exactly the names in test/unit/publicApi.exports.txt', () => {
    const pinned = readFileSync(listFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const actual = exportedNames();
    const added = actual.filter((line) => !pinned.includes(line));
    const removed = pinned.filter((line) => !actual.includes(line));
    if (added.length > 0 || removed.length > 0) {
      throw new Error(
        'The public API changed. Changing it is a decision (every export is a promise to users): if this one is ' +
          'meant, update test/unit/publicApi.exports.txt.\n' +
          `added:\n  ${added.join('\n  ') || '(none)'}\nremoved:\n  ${removed.join('\n  ') || '(none)'}`,
      );
    }
    expect(actual).toEqual(pinned);
  });

  it('keeps internals out', () => {
    for (const internal of ['MinHeap', 'packPlan', 'unpackPlan', 'evaluateExpression', 'statusQuery']) {
      expect(Object.keys(index)).not.toContain(internal);
    }
  });
});
