// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * One type-aware lint over every package, on the same program as `npm run typecheck`
 * (tsconfig.json). Formatting belongs to Prettier alone (`npm run format`); eslint-config-prettier
 * turns off the rules that would disagree with it.
 */
export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'contracts/client/src/schema.ts', 'tools/*', '!tools/build', '.mandant/**', 'deploy/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // the habits this codebase keeps: every promise awaited or handed on, none where a callback
      // expects a plain value, every member of a union handled
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // adapters implement async ports with bodies that happen to be synchronous (the in-memory
      // stores); `async` keeps their thrown errors rejections, as the port promises
      '@typescript-eslint/require-await': 'off',
      // the code matches control characters on purpose, to refuse or strip them from input
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The console is its own program (browser globals, JSX: web/tsconfig.json), with React's
    // rules of hooks.
    files: ['web/src/**/*.{ts,tsx}', 'web/vite.config.ts'],
    extends: [reactHooks.configs.flat['recommended-latest']],
    languageOptions: { parserOptions: { project: './web/tsconfig.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    // Tests, fixtures and benchmarks read HTTP bodies and rows as the untyped JSON they are and
    // assert their shape (the e2e suites also check them against the OpenAPI schemas).
    files: [
      '**/*.test.ts',
      '**/*.fixture.ts',
      '**/fixture.ts',
      '**/testing/**',
      'bench/**',
      'services/platform/src/{attack,e2e,fault}/**',
      'services/platform/src/stack/load.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly' } },
  },
  prettier,
);
