// The benchmark scenarios. A scenario is one entry here plus one small child module per
// subject in bench/scenarios/: each child takes N as its argument, does the work once in a
// fresh process and prints `{ ms, peakHeapMB, maxRssMB }` (see lib/measure.mjs).
//
// Fields:
//   id, title     how the scenario is named in the table and in results.json
//   sizes         default values of N (overridden by --n)
//   baton         the child module that runs the work on baton
//   subject       optional name of that child in the table and results.json (default 'baton')
//   baselines     [{ name, script }]: what baton is compared with, each run the same way
//   nodeArgs      optional extra node flags for every child of the scenario

export const SCENARIOS = [
  {
    id: 'S1',
    title: 'no-op fan-out (function instrument, concurrency 10)',
    sizes: [10_000, 100_000],
    baton: 'scenarios/s1-baton.mjs',
    baselines: [
      { name: 'p-queue', script: 'scenarios/s1-p-queue.mjs' },
      { name: 'xstate-floor', script: 'scenarios/s1-xstate-floor.mjs' },
    ],
  },
  {
    id: 'S5',
    title: 'durability cost (the S1 job checkpointed: file-backed SqliteStore, WAL, vs MemoryStore vs none)',
    sizes: [10_000],
    subject: 'baton+sqlite',
    baton: 'scenarios/s5-sqlite.mjs',
    baselines: [
      { name: 'memory-store', script: 'scenarios/s5-memory.mjs' },
      { name: 'no-store', script: 'scenarios/s5-no-store.mjs' },
    ],
  },
];
