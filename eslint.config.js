// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'scripts/**/*.mjs',
      'eslint.config.js',
      // generated from the API's OpenAPI description (scripts/dashboard/api-types.mjs)
      'src/dashboard/types/openapi.d.ts',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs these itself; their returned promises are not ours to await
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: [
                'describe',
                'it',
                'test',
                'suite',
                'before',
                'after',
                'beforeEach',
                'afterEach',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The object store's adapter is the only code that knows S3 (DESIGN.md, architecture).
    files: ['src/**/*.ts'],
    ignores: ['src/object-store/s3/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              message: 'only src/object-store/s3/ talks to the AWS SDK',
            },
          ],
        },
      ],
    },
  },
  {
    // The core never reaches into adapters: domain/ and transfer/ depend on ports only.
    files: ['src/domain/**/*.ts', 'src/transfer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/sqlite/**', '**/postgres/**', '**/s3/**', '**/chokidar/**'],
              message: 'core code imports ports, never adapters',
            },
            {
              group: ['@aws-sdk/*', '@smithy/*', 'better-sqlite3', 'pg'],
              message: 'core code imports ports, never drivers',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'domain/ is pure: take the time as an argument',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'domain/ is pure: take the time as an argument',
        },
      ],
    },
  },
  {
    // The dashboard's browser code: JavaScript typed with JSDoc (src/dashboard/tsconfig.json);
    // TypeScript checks its names, browser globals among them.
    files: ['src/dashboard/static/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
