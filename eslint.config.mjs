// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const network = [
  'openai',
  'undici',
  'axios',
  'node-fetch',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

/**
 * The layer table (scripts/layers.json, DESIGN.md "Layers"): each folder of src/ imports only the
 * layers its row names, and another layer only through its index.ts (`../model`, never
 * `../model/plan/plan`). test/unit/architecture.test.ts checks the same table on the import graph,
 * type imports included.
 */
const { layers } = JSON.parse(readFileSync(new URL('./scripts/layers.json', import.meta.url), 'utf8'));
const layerNames = Object.keys(layers);
/** `../model`, `../../model`, `./model` (from src/index.ts) followed by `end`. */
const layerPath = (names, end) => `^(\\.\\.?/)+(${names.join('|')})${end}`;
const layerRules = layerNames.map((layer) => {
  const row = layers[layer];
  const allowed = [...row.imports, ...(row.typeOnly ?? [])];
  const forbidden = layerNames.filter((name) => name !== layer && !allowed.includes(name));
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      regex: layerPath(forbidden, '(/|$)'),
      message: `src/${layer} ${allowed.length > 0 ? `may import only ${allowed.join(', ')}` : 'imports nothing of ours'} (scripts/layers.json)`,
    });
  }
  if (allowed.length > 0) {
    patterns.push({
      regex: layerPath(allowed, '/'),
      message: 'import another layer through its index.ts only',
    });
  }
  if (row.typeOnly) {
    patterns.push({
      regex: layerPath(row.typeOnly, '$'),
      allowTypeImports: true,
      message: `src/${layer} imports ${row.typeOnly.join(', ')} for types only`,
    });
  }
  const paths = row.pure
    ? [...nodeBuiltins, ...network].map((name) => ({
        name,
        message: 'deterministic code: no Node APIs, no network (DESIGN.md)',
      }))
    : [];
  if (layer === 'model')
    patterns.push({ group: ['@temporalio/*'], message: 'src/model imports no Temporal package (DESIGN.md)' });
  const files = layer === 'index' || layer === 'worker' ? [`src/${layer}.ts`] : [`src/${layer}/**/*.ts`];
  return { files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] } };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'coverage/**', '*.config.js', '*.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  ...layerRules,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
