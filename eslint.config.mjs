// Lint for correctness, not style (prettier owns the layout): typescript-eslint's recommended rules,
// and react-hooks for the renderer, where a wrong dependency list is a real bug. Type-aware rules
// are left out: they would re-run the type checker that `npm run typecheck` already runs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'test-results/', '.lab/', '.scratch/', 'test/fixtures/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused names are compile errors already where it matters; `_`-prefixed ones are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Parsers and binary readers use non-null assertions after explicit bounds checks.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Empty catch blocks carry a comment that says why the error is dropped.
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Control characters are matched on purpose: redaction and terminal escaping.
      'no-control-regex': 'off',
      // Tests match the tool's column-aligned output literally ("remove GOMAXPROCS=4    # "); {4} would hide the text.
      'no-regex-spaces': 'off',
      // A timer declared before the closure that clears it, and set after: not a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  { files: ['**/*.mjs', 'bin/**', 'build/**'], languageOptions: { globals: globals.node } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: globals.node }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['renderer/**/*.{ts,tsx}'], plugins: { 'react-hooks': reactHooks }, rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' } },
);
