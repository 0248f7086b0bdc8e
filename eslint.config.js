import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import moduleBoundaries from './eslint-rules/module-boundaries.js'
import layers from './eslint-rules/layers.js'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', 'coverage/', '.data/', 'examples/generated/', 'test/lint-fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      semi: ['error', 'never'],
      quotes: ['error', 'single', { avoidEscape: true }],
      // Lines at most 120 characters, comments too; a line holding a URL or a string, template or regexp literal is
      // exempt (a message or a pattern reads better whole than cut). test/lint-fixtures/lines shows each case.
      'max-len': ['error', {
        code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true
      }]
    }
  },
  // CommonJS where a tool can only require(): the test processes' transpiler for ts-node
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable', __dirname: 'readonly', process: 'readonly' }
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  // Module boundaries (docs/architecture.md): no import cycles, and a module's repository is private to it.
  // test/lint-fixtures holds code that breaks both on purpose: test/lint.test.ts lints it and expects the errors.
  {
    files: ['src/**/*.ts', 'test/lint-fixtures/**/*.ts'],
    ...importX.flatConfigs.typescript,
    settings: { ...importX.flatConfigs.typescript.settings, 'import-x/resolver': undefined, 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    plugins: { ...importX.flatConfigs.typescript.plugins, local: moduleBoundaries },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'local/private-repository': 'error'
    }
  },
  // Layers (docs/architecture.md): folders depend one way, in the order of eslint-rules/layers.js, and a table is
  // written only by its owner and read only by its owner or from above. test/lint-fixtures/layers breaks both.
  {
    files: ['src/**/*.ts', 'test/lint-fixtures/layers/**/*.ts'],
    plugins: { layers },
    rules: {
      'layers/folder-order': 'error',
      'layers/table-owner': 'error'
    }
  },
  // A module's tables are read and written only by its repository: no query builder anywhere else in a module.
  {
    files: ['src/modules/**/*.ts', 'test/lint-fixtures/modules/**/*.ts'],
    ignores: ['**/repository.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto)$/]',
        message: "SQL belongs in the module's repository.ts"
      }]
    }
  }
)
