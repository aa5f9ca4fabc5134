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
//   extra         optional names of numeric fields the children print besides ms; their
//                 medians go into results.json (and the table, when `unit` names one)
//   unit          optional { field, label }: show that field in the table instead of ms

export const SCENARIOS = [
  {
    id: 'S1',
    title: 'no-op fan-out (function instrument, concurrency 10)',
    sizes: [10_000, 100_000],
    baton: 'scenarios/s1-baton.mjs',
    baselines: [
      { name: 'p-queue', script: 'scenarios/s1-p-queue.mjs' },
      { name: 'xstate-floor', script: 'scenarios/s1-xstate-floor.mjs' },
      { name: 'sheet machine alone', script: 'scenarios/s1-sheet-machine.mjs' },
    ],
  },
  {
    id: 'S2',
    title: 'growth (the S1 job at each N, baton alone: time and peak heap per N)',
    sizes: [1_000, 10_000, 100_000, 1_000_000],
    baton: 'scenarios/s1-baton.mjs',
    baselines: [],
    // The 1M-sheet job needs room beyond V8's default old space on small machines.
    nodeArgs: ['--max-old-space-size=4096'],
  },
  {
    id: 'S3',
    title: 'one dispatch decision with 100k sheets pending behind a running one (µs, median; p99 in results.json)',
    sizes: [100_000],
    baton: 'scenarios/s3-baton.mjs',
    baselines: [],
    extra: ['decisionMedianUs', 'decisionP99Us'],
    unit: { field: 'decisionMedianUs', label: 'µs' },
  },
  {
    id: 'S4',
    title: 'real processes: N `true` commands at concurrency 8 (command instrument vs xargs -P8)',
    sizes: [1_000],
    baton: 'scenarios/s4-baton.mjs',
    baselines: [
      { name: 'xargs -P8', script: 'scenarios/s4-xargs.mjs' },
      { name: 'node spawn', script: 'scenarios/s4-node-spawn.mjs' },
      { name: 'baton inline spawn', script: 'scenarios/s4-baton-inline.mjs' },
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
  {
    id: 'S6',
    title: 'layered DAG: N layers of 1,000, each on the whole previous layer (vs the same sheets flat)',
    sizes: [100],
    baton: 'scenarios/s6-baton.mjs',
    baselines: [{ name: 'flat fan-out', script: 'scenarios/s6-flat.mjs' }],
  },
  {
    id: 'S8',
    title: 'a slow events$ subscriber (20 ms per event): N function sheets of 10 ms at concurrency 5, job wall time with it vs without',
    sizes: [50],
    subject: 'slow subscriber',
    baton: 'scenarios/s8-slow-subscriber.mjs',
    baselines: [{ name: 'no subscriber', script: 'scenarios/s8-no-subscriber.mjs' }],
    extra: ['eventsSeenAtCompletion'],
  },
  {
    id: 'S9',
    title: 'shared cap: the S1 job with shared_concurrency 10, each slot claimed from a coordination backend (vs the same cap in-process only)',
    sizes: [10_000],
    subject: 'sqlite backend',
    baton: 'scenarios/s9-sqlite.mjs',
    baselines: [
      { name: 'no backend', script: 'scenarios/s9-local.mjs' },
      { name: 'redis backend', script: 'scenarios/s9-redis.mjs' },
    ],
  },
  {
    id: 'S10',
    title: "rate-limit propagation: ms from one conductor's report to another conductor holding to it, median of N (SQLite here; Redis and the maxima in results.json)",
    sizes: [20],
    subject: 'both backends',
    baton: 'scenarios/s10-propagation.mjs',
    baselines: [],
    extra: ['sqliteMedianMs', 'sqliteMaxMs', 'redisMedianMs', 'redisMaxMs'],
    unit: { field: 'sqliteMedianMs', label: 'ms' },
  },
];

const row = (rows, scenario, n, baseline) =>
  rows.find((r) => r.scenario === scenario && r.n === n && (baseline === undefined || r.baseline === baseline));

/**
 * The targets of issue 7, checked against the rows of one run. A target whose rows were not
 * measured in this run (a --scenario or --n subset) is reported as not measured.
 */
export const TARGETS = [
  {
    id: 'S1 vs floor',
    text: 'S1 at 100k ≤ 1.5× the bare XState floor',
    check: (rows) => ratioAtMost(row(rows, 'S1', 100_000, 'xstate-floor'), 1.5),
  },
  {
    id: 'S1 vs p-queue',
    text: 'S1 at 100k ≤ 10× p-queue',
    check: (rows) => ratioAtMost(row(rows, 'S1', 100_000, 'p-queue'), 10),
  },
  {
    id: 'S2 growth',
    text: 'S2 time(100k) / time(10k) ≤ 12',
    check: (rows) => {
      const a = row(rows, 'S2', 100_000);
      const b = row(rows, 'S2', 10_000);
      if (!a?.batonMedianMs || !b?.batonMedianMs) return { measured: false };
      const value = a.batonMedianMs / b.batonMedianMs;
      return { measured: true, value: `${value.toFixed(2)}`, met: value <= 12 };
    },
  },
  {
    id: 'S2 1M heap',
    text: 'S2 the 1M-sheet job completes with peak heap < 1.5 GB',
    check: (rows) => {
      const r = row(rows, 'S2', 1_000_000);
      if (r === undefined) return { measured: false };
      const ok = r.runs.baton > 0 && r.errors === undefined;
      return { measured: true, value: `${r.batonPeakHeapMB ?? '—'} MB`, met: ok && r.batonPeakHeapMB < 1536 };
    },
  },
  {
    id: 'S3 decision',
    text: 'S3 median dispatch decision ≤ 50 µs',
    check: (rows) => {
      const r = row(rows, 'S3', 100_000);
      const us = r?.batonExtra?.decisionMedianUs;
      if (typeof us !== 'number') return { measured: false };
      return { measured: true, value: `${us} µs (p99 ${r.batonExtra.decisionP99Us} µs)`, met: us <= 50 };
    },
  },
  {
    id: 'S4 processes',
    text: 'S4 ≤ 1.3× xargs -P8',
    check: (rows) => ratioAtMost(row(rows, 'S4', 1_000, 'xargs -P8'), 1.3),
  },
  {
    id: 'S5 durability',
    text: 'S5 SQLite store ≤ 1.5× the in-memory store',
    check: (rows) => ratioAtMost(row(rows, 'S5', 10_000, 'memory-store'), 1.5),
  },
  {
    id: 'S6 layers',
    text: 'S6 completes; peak heap within 1.5× the same sheets flat (no per-edge memory)',
    check: (rows) => {
      const r = row(rows, 'S6', 100, 'flat fan-out');
      if (r === undefined) return { measured: false };
      const heap = r.batonPeakHeapMB / r.baselinePeakHeapMB;
      const ok = r.runs.baton > 0 && r.errors === undefined;
      return { measured: true, value: `heap ${heap.toFixed(2)}×, time ${r.ratio}×`, met: ok && heap <= 1.5 };
    },
  },
  {
    id: 'S8 slow subscriber',
    text: 'S8 the job with a 20 ms/event subscriber ≤ 2× the job without',
    check: (rows) => ratioAtMost(row(rows, 'S8', 50, 'no subscriber'), 2),
  },
];

function ratioAtMost(r, limit) {
  if (r === undefined || r.ratio === null) return { measured: false };
  return { measured: true, value: `${r.ratio.toFixed(2)}×`, met: r.ratio <= limit };
}
