/** The states of a sheet; the names are public API (snapshots, events, status). */
export const SHEET_STATES = [
  'pending',
  'ready',
  'dispatched',
  'running',
  'waiting',
  'retry',
  'completion',
  'fermata',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const;

export type SheetState = (typeof SHEET_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<SheetState> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
]);

/** `normal` for ordinary attempts, `completion` after a partial validation, `healing` for the extra attempt of `heal: true`. */
export type SheetMode = 'normal' | 'completion' | 'healing';

/** Why an attempt (or a sheet) failed; recorded in history and on the event bus. */
export type FailureReason =
  | 'failed'
  | 'crashed'
  | 'timeout'
  | 'stale'
  | 'unavailable'
  | 'validation_failed'
  | 'rate_limited'
  | 'budget'
  | 'dependency'
  | 'decision';

/** Capped exponential backoff: `min(max, initial * factor^(n-1))`, spread by ±`jitter` (a fraction). */
export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** 0..1 */
  jitter: number;
}

export type DependencyFailurePolicy = 'skip' | 'fail';

export const FERMATA_DECISIONS = ['retry', 'skip', 'fail', 'accept'] as const;

export type FermataDecision = (typeof FERMATA_DECISIONS)[number];

/** What a job is doing, as the dispatch planner, the status and the checkpoint see it. */
export type JobRunState = 'running' | 'paused' | 'cancelled' | 'completed' | 'failed';

/**
 * How a job settled: ended (`completed`, `failed`, `cancelled`), or stopped with work left —
 * `held` by fermatas, `paused` by its budget, `interrupted` by a shutdown.
 */
export type JobOutcome = 'completed' | 'failed' | 'cancelled' | 'held' | 'paused' | 'interrupted';
