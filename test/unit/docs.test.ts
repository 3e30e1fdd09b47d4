/**
 * The generated references in docs/ match what the compiler's catalog says today
 * (`npm run docs` rewrites them), and every relative link between the docs resolves.
 */
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
  const files = [...readdirSync(DOCS).map((f) => path.join(DOCS, f)), path.join(DOCS, '..', 'README.md')];
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
