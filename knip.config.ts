import type { KnipConfig } from 'knip';

const config: KnipConfig = {
  // The public entry points (package.json's `.`, `./testing` and `./cluster` exports and the bin), the modules
  // loaded by path rather than imported (the spawner's helper, forked by pool.ts; the store tests'
  // second process; the function instruments a test score names), and what runs on its own:
  // tests, benchmarks, scripts, examples.
  // vitest.config.ts and the tool configs are entries through knip's vitest, eslint and
  // dependency-cruiser plugins.
  entry: [
    'src/index.ts',
    'src/testing/index.ts',
    'src/cluster/index.ts',
    'src/cli/main.ts',
    'src/actors/spawner/helper.ts',
    'test/**/*.test.ts',
    'test/store/fixtures/store-child.ts',
    'test/coordination/fixtures/sqlite-child.ts',
    'test/cluster/fixtures/attempt.mjs',
    'test/fixtures/tasks.mjs',
    'bench/**/*.mjs',
    'scripts/*.mjs',
    'examples/**',
  ],
  // An export that tests import counts as used: tests of internal modules (the planner, the
  // breaker, templates, output tails) are consumers of those modules' interface, and an export
  // kept for them is not dead. An export used only in its own file is reported: the `export`
  // is what is unused.
  ignoreExportsUsedInFile: false,
  // Started as `node --import tsx …` in spawn arguments, which knip does not read.
  ignoreDependencies: ['tsx'],
  // System tools (a FIFO for a test, Debian's redis-server for the bench), not packages.
  ignoreBinaries: ['mkfifo', 'redis-server'],
};

export default config;
