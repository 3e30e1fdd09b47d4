/**
 * The architecture as a check on the import graph of src/ (type imports included, which eslint's
 * import-x/no-cycle does not see): the layer table of scripts/layers.json, no deep import into
 * another layer, no import cycle, and the size target for source files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { importCycles, importEdges, layerOf, sourceFiles } from '../support/importGraph';

const root = path.join(__dirname, '..', '..');
const { layers } = JSON.parse(readFileSync(path.join(root, 'scripts', 'layers.json'), 'utf8')) as {
  layers: Record<string, { imports: string[]; typeOnly?: string[] }>;
};
const edges = importEdges(root);
const crossLayer = edges.filter((edge) => layerOf(edge.from) !== layerOf(edge.to));

/** Whether every import of `specifier` in `file` is `import type` / `export type`. */
function typeOnly(file: string, specifier: string): boolean {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  return source.statements.every((statement) => {
    if (
      ts.isImportDeclaration(statement) &&
      (statement.moduleSpecifier as ts.StringLiteral).text === specifier
    ) {
      const clause = statement.importClause;
      if (!clause) return false;
      if (clause.isTypeOnly) return true;
      const bindings = clause.namedBindings;
      return (
        !clause.name &&
        !!bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.every((e) => e.isTypeOnly)
      );
    }
    if (
      ts.isExportDeclaration(statement) &&
      (statement.moduleSpecifier as ts.StringLiteral | undefined)?.text === specifier
    ) {
      return statement.isTypeOnly;
    }
    return true;
  });
}

describe('architecture of src/', () => {
  it('finds the imports it checks (type imports included)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual(
      expect.objectContaining({ from: 'src/client/runs/startRun.ts', to: 'src/workflows/index.ts' }),
    );
  });

  it('every layer imports only the layers its row in scripts/layers.json names', () => {
    const refused = crossLayer
      .filter((edge) => {
        const row = layers[layerOf(edge.from)];
        const target = layerOf(edge.to);
        if (!row) return true;
        if (row.imports.includes(target)) return false;
        return !(row.typeOnly?.includes(target) && typeOnly(edge.from, edge.specifier));
      })
      .map((edge) => `${edge.from} imports ${edge.specifier} (layer ${layerOf(edge.to)})`);
    expect(refused).toEqual([]);
  });

  it('imports another layer only through its index.ts', () => {
    const deep = crossLayer
      .filter((edge) => edge.to.split('/').length > 2 && edge.to !== `src/${layerOf(edge.to)}/index.ts`)
      .map((edge) => `${edge.from} imports ${edge.specifier}: use src/${layerOf(edge.to)}/index.ts`);
    expect(deep).toEqual([]);
  });

  it('has no import cycle, type imports included', () => {
    const cycles = importCycles(edges).map((cycle) => cycle.join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('the cycle check sees a cycle closed by a type import', () => {
    const a = 'src/a.ts';
    const b = 'src/b.ts';
    expect(
      importCycles([
        { from: a, specifier: './b', to: b },
        { from: b, specifier: './a', to: a },
      ]),
    ).toEqual([[a, b]]);
  });

  it('keeps source files small: none over 400 lines, median at most 120', () => {
    const lines = sourceFiles(root).map((file) => ({
      file,
      lines: readFileSync(path.join(root, file), 'utf8').split('\n').length - 1,
    }));
    const sorted = lines.map((entry) => entry.lines).sort((x, y) => x - y);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const tooLong = lines
      .filter((entry) => entry.lines > 400)
      .map((entry) => `${entry.file}: ${entry.lines} lines`);
    expect({ tooLong, medianAtMost120: median <= 120 ? true : median }).toEqual({
      tooLong: [],
      medianAtMost120: true,
    });
  });
});
