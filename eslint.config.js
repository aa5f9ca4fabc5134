import Module, { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';

// TypeScript 7 (the project's `typescript`) is the native compiler and has no JavaScript API, and
// typescript-eslint and dependency-cruiser both load the API with a bare `require('typescript')`
// (neither has an option to point it elsewhere). TypeScript 6.0, the last release with the API and
// the one whose defaults TypeScript 7 keeps, is installed as the alias `typescript-api`; for this
// process only, `typescript` and `typescript/…` resolve to it. package.json's `overrides` entry
// lets typescript-eslint's peer range (< 6.1) accept the project's TypeScript so that `npm ci`
// resolves; the peer it actually gets is the alias.
//
// The alias also ships a `tsc` bin. A clean `npm ci` links the project's TypeScript 7 one, but an
// incremental `npm install` that (re)installs only the alias links its TypeScript 6 `tsc` over it
// and the build would quietly change compiler: lint refuses to pass on such a tree. (This check
// runs before the redirection, which would otherwise answer it.)
const tscPackage = realpathSync(createRequire(import.meta.url).resolve('typescript/package.json')).replace(/package\.json$/, '');
if (!realpathSync(new URL('./node_modules/.bin/tsc', import.meta.url)).startsWith(tscPackage)) {
  throw new Error("node_modules/.bin/tsc is not the project's TypeScript 7 compiler; run `npm ci`.");
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const target = /^typescript(\/|$)/.test(request) ? `typescript-api${request.slice('typescript'.length)}` : request;
  return resolveFilename.call(this, target, ...rest);
};

const { defineConfig } = await import('eslint/config');
const { default: js } = await import('@eslint/js');
const { default: tseslint } = await import('typescript-eslint');

const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  performance: 'readonly',
  AbortController: 'readonly',
  structuredClone: 'readonly',
  fetch: 'readonly',
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.baton/', 'test-artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // The tool configs that are TypeScript but not part of the project's tsconfig.
        projectService: { allowDefaultProject: ['knip.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promise misuse is where a dispatch runtime loses work silently: an unawaited save, an async
      // callback handed to an API that ignores its promise, an `await` on a non-promise.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `_`-prefixed names mark a parameter or binding kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    rules: {
      // Style, and the assignment it would turn into a declaration is often one a callback declared
      // above it reads (`let timer; const wake = () => timer?.unsubscribe(); timer = schedule(wake)`):
      // as a `const` the callback would meet it in its temporal dead zone.
      'prefer-const': 'off',
      // The patterns here that name control characters do so on purpose: they quote and escape
      // them in descriptions and terminal output.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
