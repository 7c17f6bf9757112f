// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'apps/api/public/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs these itself; awaiting them would serialise the suite.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @maskgen/config only.' },
      ],
    },
  },
  {
    // The config library is the one place that turns the environment into typed config.
    files: ['libs/config/src/**/*.ts', 'scripts/**/*.ts', 'test/support/**/*.ts', 'test/**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // Layering (docs/architecture.md): apps compose libs; libs never reach up into an app; the wire contracts
  // depend on nothing of ours, so the client, the dashboard and every service can share them.
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)apps/', message: 'libs never import apps: move the shared code into a lib.' },
            {
              regex: '^(\\.\\./)+migrations',
              message:
                'libs never import the root migrations/: they live in libs/persistence/src/migrations.',
            },
          ],
        },
      ],
    },
  },
  {
    // Issue 22: a reader follows a function of libs/ in one screen; longer ones are split into named steps.
    files: ['libs/*/src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['libs/contracts/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@maskgen/', message: 'libs/contracts imports nothing of ours.' },
            { regex: '(^|/)(apps|libs)/', message: 'libs/contracts imports nothing of ours.' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/api/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(worker|cli|dashboard|local)/src',
              message: 'apps import libs only, never another app.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/worker/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(api|cli|dashboard|local)/src',
              message: 'apps import libs only, never another app.',
            },
          ],
        },
      ],
    },
  },
  {
    // npm start: one process that composes the API (imported) and the worker (started as a child by its path).
    files: ['apps/local/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(cli|dashboard)/src',
              message: 'apps/local composes the API and the worker only, never another app.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI and the dashboard are clients of the HTTP API: they reach it through libs/client only (the dashboard's
    // bundle then takes no zod, no Node library of ours).
    files: ['apps/cli/**/*.ts', 'apps/dashboard/**/*.ts', 'apps/dashboard/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(api|worker|cli|dashboard|local)/src',
              message: 'apps import libs only, never another app.',
            },
            {
              regex: '^@maskgen/(?!client$)|(^|/)libs/(?!client/)',
              message: 'the CLI and the dashboard import libs/client only: they talk to the API.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
