import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The layers (docs/development.md): cli → pipeline → adapters → core. Each
// outside system's library is imported by its one adapter only.
const OUTSIDE_LIBRARIES = ['dockerode', 'simple-git', 'execa', 'listr2'];
const NODE_IO = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'os', 'dgram', 'worker_threads']
  .flatMap((m) => [m, `node:${m}`]);
const layer = (name) => ({ group: [`**/${name}/**`, `../${name}/*`, `../../${name}/*`], message: `this layer may not import ${name}/ (see docs/development.md)` });
const libraries = (except = []) => OUTSIDE_LIBRARIES.filter((l) => !except.includes(l)).map((l) => ({ name: l, message: `only its adapter imports ${l} (see docs/development.md)` }));
const nodeIo = NODE_IO.map((name) => ({ name, message: 'file system, processes and network go through src/adapters/ (see docs/development.md)' }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.edgebuild/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Only the CLI layer, tests, benchmarks and the fixture scripts may print.
    files: ['src/cli/**', 'test/**', 'bench/**', '**/*.mjs', '**/*.cjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // core: pure logic. No I/O, no outside systems, no upper layer.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeIo, ...libraries()],
        patterns: [layer('adapters'), layer('pipeline'), layer('cli')],
      }],
    },
  },
  {
    // adapters: one per outside system; they know nothing of pipelines or the CLI.
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'listr2', message: 'progress rendering belongs to src/pipeline/' }],
        patterns: [layer('pipeline'), layer('cli')],
      }],
    },
  },
  {
    // pipeline: runs the steps; the file system and outside systems only through their adapters.
    // Each step takes what it needs and returns its result, so the compiler proves the order:
    // no `x!` or `as Required<…>` to paper over a step that might not have run.
    files: ['src/pipeline/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeIo, ...libraries(['listr2'])],
        patterns: [layer('cli')],
      }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-restricted-syntax': ['error', {
        selector: "TSAsExpression > TSTypeReference[typeName.name='Required']",
        message: 'give the step a typed input instead of asserting it (see docs/development.md)',
      }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/index.ts', 'src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: libraries() }] },
  },
);
