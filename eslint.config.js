// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'url',
];

/** Import zones: the table in ARCHITECTURE.md, enforced here. */
const zone = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.tsbuild', '.data', 'test-results', 'playwright-report', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          './tsconfig.shared.json',
          './tsconfig.server.json',
          './tsconfig.electron-main.json',
          './tsconfig.electron-preload.json',
          './tsconfig.renderer.json',
          './tsconfig.tests.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  zone(
    ['shared/**'],
    [
      {
        group: ['**/server/**', '**/electron/**', '**/renderer/**', 'electron', 'react', 'react-dom'],
        message: 'shared/ imports nothing outside shared/',
      },
      { group: NODE_BUILTINS, message: 'shared/ is isomorphic: no Node built-ins' },
    ],
  ),
  zone(
    ['server/**'],
    [{ group: ['**/renderer/**', '**/electron/**', 'electron'], message: 'server/ may import only shared/' }],
  ),
  zone(
    ['electron/**'],
    [{ group: ['**/renderer/**', '**/server/**'], message: 'electron/ may import only shared/' }],
  ),
  zone(
    ['renderer/**'],
    [
      {
        group: ['**/server/**', '**/electron/**', 'electron'],
        message: 'renderer/ talks to the bridge through platform/',
      },
      { group: NODE_BUILTINS, message: 'renderer/ has no Node' },
    ],
  ),
  {
    // Platform files are chosen by platform/index.ts; nobody else imports one directly.
    files: ['renderer/**'],
    ignores: ['renderer/platform/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/**', '**/electron/**', 'electron'],
              message: 'renderer/ talks to the bridge through platform/',
            },
            { group: NODE_BUILTINS, message: 'renderer/ has no Node' },
            {
              group: ['**/platform/*.web*', '**/platform/*.electron*', '**/platform/*.testing*'],
              message: 'import platform/index, not a platform file',
            },
          ],
        },
      ],
    },
  },
);
