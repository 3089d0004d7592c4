/**
 * ESLint (npm run lint): typescript-eslint's recommended rules, plus the type-aware rules that catch what this
 * code base has been bitten by or relies on: a promise nobody awaits or catches (workflows/registration manages
 * its promises by hand; an unhandled stream error once crashed the gateway), a promise handed where nothing
 * will wait for it, and a switch over a union that misses a member. Workflow code also gets Temporal's
 * sandbox rule: no Node built-in and none of the SDK's non-workflow packages (they would not replay).
 * Formatting is Prettier's (.prettierrc.json), not ESLint's.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'exports', 'process', 'console', '__dirname', '__filename', 'Buffer', 'URL', 'setTimeout', 'clearTimeout'].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'var/', '.tools/', 'src/portal/public/', 'prisma/migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // TypeScript itself resolves names (and knows the DOM and Node globals); ESLint's copy only misfires.
      'no-undef': 'off',
      // Control characters are written as \x escapes on purpose, in the patterns that strip them from text and names.
      'no-control-regex': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // A closure that reads a variable before its one assignment (fake-resend's reply) would hit the temporal dead zone as a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks a value left out on purpose (a rest sibling, an argument a signature requires).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests, drills and benches read response bodies as an outside client does, untyped.
    files: ['test/**/*.ts', 'drills/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Temporal's sandbox: workflow code replays, so it may not reach the file system, network or clock of Node,
    // nor the worker, client, activity or testing SDKs (types alone are fine). dependency-cruiser checks the same
    // rooms (.dependency-cruiser.cjs); this says so at the line, in the editor.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...builtinModules.map((name) => ({ name, message: 'Workflow code runs in the sandbox: no Node built-ins (use an activity).' })),
            {
              name: '@temporalio/workflow',
              importNames: ['patched'],
              message: "Use patched() from workflows/patches.ts: a run takes its release's patches under one generation's marker.",
            },
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflow code runs in the sandbox: no Node built-ins (use an activity).' },
            {
              group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', '@temporalio/testing'],
              allowTypeImports: true,
              message: 'Workflow code uses @temporalio/workflow (and @temporalio/common); the other SDK packages do not belong in the sandbox.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.{js,cjs,mjs}'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
