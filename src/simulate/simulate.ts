import { tmpdir } from 'node:os';
import type { JobOutcome } from '../machines/types.js';
import type { Score } from '../score/types.js';
import { Behaviours } from './behaviours.js';
import { criticalPath } from './critical-path.js';
import type { Profile } from './profile.js';
import { runOnce } from './run-once.js';
import { sheetGraph } from './sheet-graph.js';
import { roundTo, spreadOf, type Spread } from './statistics.js';

export interface SimulateOptions {
  /**
   * Seed of every random draw: the same score, profile and options give the same result.
   * @default 1
   */
  seed?: number;
  /**
   * How many times the job is run.
   * @default 20
   */
  runs?: number;
  /** Overrides the score's global `concurrency`, as `baton run --concurrency` does. */
  concurrency?: number;
}

/** One run of the job. Times are milliseconds of virtual time from the start of the job. */
export interface RunSummary {
  run: number;
  outcome: JobOutcome;
  makespanMs: number;
  /** Runs that used an attempt (rate-limited runs are counted apart). */
  attempts: number;
  /** Runs that ended rate-limited. */
  rateLimited: number;
  costUsd: number;
  rateLimitedMs: number;
}

/** One sheet on a critical path, as it went in that run. */
export interface CriticalStep {
  id: string;
  instrument: string;
  model?: string;
  state: string;
  attempts: number;
  /** First dispatch; absent for a sheet that never ran (skipped). */
  startedAtMs?: number;
  endedAtMs: number;
}

/** One sheet over every run. */
export interface SheetSummary {
  id: string;
  /** Mean attempts per run. */
  attempts: number;
  /** Mean cost per run. */
  costUsd: number;
  /** Runs in which it completed. */
  completed: number;
  /** Runs in which it was on the critical path. */
  critical: number;
}

export interface SimulationResult {
  score: string;
  seed: number;
  runs: number;
  concurrency: number;
  sheetCount: number;
  /** Runs per outcome, in a fixed order, outcomes that no run had left out. */
  outcomes: Partial<Record<JobOutcome, number>>;
  makespanMs: Spread;
  attempts: Spread;
  costUsd: Spread;
  rateLimitedMs: Spread & { total: number };
  /** The chain of sheets whose ends set the makespan of the median run. */
  criticalPath: { run: number; makespanMs: number; sheets: CriticalStep[] };
  perRun: RunSummary[];
  sheets: SheetSummary[];
}

const OUTCOME_ORDER: readonly JobOutcome[] = ['completed', 'failed', 'paused', 'held', 'cancelled', 'interrupted'];

/**
 * Predicts how a score's job goes with the instruments a profile describes: runs it `runs`
 * times with the real conductor in virtual time (no processes, no files, no store) and
 * summarises makespan, attempts, cost and time spent rate-limited. Deterministic: the same
 * inputs give the same result, field for field.
 */
export async function simulate(score: Score, profile: Profile, options: SimulateOptions = {}): Promise<SimulationResult> {
  const seed = options.seed ?? 1;
  const runs = options.runs ?? 20;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`simulate: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`simulate: runs must be a positive integer, got ${runs}`);
  const concurrency = options.concurrency ?? score.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`simulate: concurrency must be a positive integer, got ${concurrency}`);
  }
  const behaviours = new Behaviours(profile, score);
  const graph = sheetGraph(score);
  const simulated = simulatedScore(score, concurrency);

  const perRun: RunSummary[] = [];
  const paths: CriticalStep[][] = [];
  const sheetTotals = graph.ids.map(() => ({ attempts: 0, costUsd: 0, completed: 0, critical: 0 }));
  for (let run = 1; run <= runs; run++) {
    const { result, rateLimitedMs } = await runOnce(simulated, behaviours, graph, seed, run);
    let attempts = 0;
    let rateLimited = 0;
    result.sheets.forEach((sheet, i) => {
      const totals = sheetTotals[i]!;
      totals.attempts += sheet.attempts;
      totals.costUsd += sheet.costUsd;
      if (sheet.state === 'completed') totals.completed++;
      attempts += sheet.attempts;
      rateLimited += sheet.rateLimited;
    });
    const path = criticalPath(graph, result.sheets).map((i): CriticalStep => {
      sheetTotals[i]!.critical++;
      const sheet = result.sheets[i]!;
      return {
        id: sheet.id,
        instrument: sheet.instrument,
        ...(sheet.model !== undefined ? { model: sheet.model } : {}),
        state: sheet.state,
        attempts: sheet.attempts,
        ...(sheet.startedAt !== undefined ? { startedAtMs: Math.round(sheet.startedAt) } : {}),
        endedAtMs: Math.round(sheet.endedAt!),
      };
    });
    paths.push(path);
    perRun.push({
      run,
      outcome: result.outcome,
      makespanMs: Math.round(result.durationMs),
      attempts,
      rateLimited,
      costUsd: roundTo(result.costUsd, 6),
      rateLimitedMs: Math.round(rateLimitedMs),
    });
  }

  const median = medianRun(perRun);
  const outcomes: Partial<Record<JobOutcome, number>> = {};
  for (const outcome of OUTCOME_ORDER) {
    const n = perRun.filter((r) => r.outcome === outcome).length;
    if (n > 0) outcomes[outcome] = n;
  }
  const limited = perRun.map((r) => r.rateLimitedMs);
  return {
    score: score.name,
    seed,
    runs,
    concurrency,
    sheetCount: graph.ids.length,
    outcomes,
    makespanMs: spreadOf(perRun.map((r) => r.makespanMs), 0),
    attempts: spreadOf(perRun.map((r) => r.attempts), 3),
    costUsd: spreadOf(perRun.map((r) => r.costUsd), 6),
    rateLimitedMs: { ...spreadOf(limited, 0), total: limited.reduce((a, b) => a + b, 0) },
    criticalPath: { run: median.run, makespanMs: median.makespanMs, sheets: paths[median.run - 1]! },
    perRun,
    sheets: graph.ids.map((id, i) => {
      const t = sheetTotals[i]!;
      return {
        id,
        attempts: roundTo(t.attempts / runs, 3),
        costUsd: roundTo(t.costUsd / runs, 6),
        completed: t.completed,
        critical: t.critical,
      };
    }),
  };
}

/** The run whose makespan is the median (nearest rank); among equals, the first run. */
function medianRun(perRun: readonly RunSummary[]): RunSummary {
  const sorted = [...perRun].sort((a, b) => a.makespanMs - b.makespanMs || a.run - b.run);
  return sorted[Math.max(1, Math.ceil(sorted.length / 2)) - 1]!;
}

/**
 * The score as the simulation runs it. Validations are left to the simulated instruments,
 * which report them, so nothing checks real files; the workspace becomes the system's
 * temporary folder, which exists already, since the conductor creates a job's workspace
 * and a simulation must leave no trace.
 */
function simulatedScore(score: Score, concurrency: number): Score {
  return {
    ...score,
    workspace: tmpdir(),
    concurrency,
    stages: score.stages.map((stage) => (stage.validations.length === 0 ? stage : { ...stage, validations: [] })),
  };
}
