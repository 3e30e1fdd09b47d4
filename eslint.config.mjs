// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const network = ['openai', 'undici', 'axios', 'node-fetch', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

/** Layer rules of DESIGN.md: each folder imports only what its row allows. */
const restrict = (patterns, paths = []) => ({
  'no-restricted-imports': ['error', { paths: paths.map((name) => ({ name, message: 'not allowed in this layer (DESIGN.md)' })), patterns }],
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
  {
    // Deterministic, sandboxed code: no Node builtins, no network, no clocks or randomness by import.
    files: ['src/pipeline/**/*.ts'],
    rules: restrict([{ group: ['@temporalio/*', '../*'], message: 'src/pipeline imports nothing of ours or Temporal (DESIGN.md)' }], [...nodeBuiltins, ...network]),
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: restrict(
      [{ group: ['../activities', '../activities/*', '../client', '../client/*', '../dev/*', '../worker'], message: 'workflow code imports only src/pipeline and @temporalio/workflow' }],
      [...nodeBuiltins, ...network],
    ),
  },
  {
    files: ['src/activities/**/*.ts'],
    rules: restrict([{ group: ['../client', '../client/*', '../workflows', '../workflows/*'], message: 'activities never import the client or workflows' }]),
  },
  {
    files: ['src/codec/**/*.ts'],
    rules: restrict([{ group: ['../client', '../client/*', '../activities', '../activities/*', '../workflows', '../workflows/*', '../worker'], message: 'payload codecs import only src/pipeline (errors, limits) and the Temporal SDK' }]),
  },
  {
    files: ['src/client/**/*.ts'],
    rules: restrict([{ group: ['../activities', '../activities/*', '../worker'], message: 'the client never imports activities' }]),
  },
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
