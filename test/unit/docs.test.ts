/**
 * The generated references in docs/ match what the compiler's catalog says today
 * (`npm run docs` rewrites them), every relative link between the docs resolves, and the API
 * reference builds from the TSDoc without a warning.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { definitionReference, expressionsDoc } from '../../scripts/reference-docs';

const DOCS = path.join(__dirname, '..', '..', 'docs');
const read = (file: string) => readFileSync(path.join(DOCS, file), 'utf8');

test('docs/definition-reference.md is what `npm run docs` writes from the catalog', () => {
  expect(read('definition-reference.md')).toBe(`${definitionReference()}\n`);
});

test('the limits table in docs/expressions.md is current', () => {
  const current = read('expressions.md');
  expect(expressionsDoc(current)).toBe(current);
  expect(current).toContain('| source length | 4096 characters |');
});

test('every relative link in docs/ and the README points at a file that exists', () => {
  const files = [
    ...readdirSync(DOCS)
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(DOCS, f)),
    path.join(DOCS, '..', 'README.md'),
  ];
  for (const file of files) {
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(((?!https?:|#)[^)#\s]+)/g)) {
      expect({
        file: path.basename(file),
        target,
        exists: existsSync(path.join(path.dirname(file), target!)),
      }).toEqual({
        file: path.basename(file),
        target,
        exists: true,
      });
    }
  }
});

test('the API reference builds from the TSDoc with no warning (typedoc, warnings as errors)', () => {
  // `npm run docs` writes it to docs/api; here it is only checked.
  const typedoc = path.join(DOCS, '..', 'node_modules', 'typedoc', 'bin', 'typedoc');
  const out = execFileSync(process.execPath, [typedoc, '--emit', 'none'], {
    cwd: path.join(DOCS, '..'),
    encoding: 'utf8',
  });
  expect(out).not.toMatch(/warning|error/i);
}, 120_000);
