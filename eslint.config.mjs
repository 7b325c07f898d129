// ESLint (flat config): run by `npm test`'s first phase (scripts/test, "lint") and by `npm run lint`.
// What it guards (issue 12.7): the engine never imports vscode; no module imports itself through a cycle;
// the TypeScript rules that catch real mistakes (floating promises are left to the type checker's
// noUnused*, which tsc already enforces).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** The engine and shared code never import the editor: the CLI and the tests load them without VS Code. */
const noEditorInEngine = {
  'no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'vscode', message: 'src/core and src/shared never import vscode: the CLI loads them without VS Code; put the editor part in src/extension.' }],
      patterns: [{ group: ['**/extension/**', '**/cli/**', '**/webview/**'], message: 'the engine does not depend on its faces.' }],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'test-results/**', 'media/**', '**/*.cjs', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  { files: ['src/core/**/*.ts', 'src/shared/**/*.ts'], rules: noEditorInEngine },
);
