import type { DependencyFailurePolicy, FailureReason, FermataDecision } from './types.js';

/**
 * Events a sheet actor accepts. Time enters only through `at` (the conductor's clock) and
 * randomness only through `random`, so the machine stays a pure function of its events.
 */
export type SheetEvent =
  /** Every dependency is satisfied. */
  | { type: 'DEPS_MET' }
  /** A dependency ended without being satisfied; `policy` is this sheet's `on_dependency_failure`. */
  | { type: 'DEPENDENCY_FAILED'; policy: DependencyFailurePolicy }
  /** The conductor chose this sheet; a musician is being started. */
  | { type: 'DISPATCH' }
  /** The instrument began executing the attempt. */
  | { type: 'STARTED' }
  /** The attempt succeeded; `passRate` is the share of validations that passed (1 when there are none). */
  | { type: 'SUCCEEDED'; passRate: number; at: number; random: number }
  | { type: 'FAILED'; reason: FailureReason; error: string; at: number; random: number }
  /**
   * The instrument is rate-limited: wait `waitMs` without consuming an attempt, unless this is
   * the sheet's `maxLimitedRuns`-th rate-limited run, which fails it (reason `rate_limited`).
   */
  | { type: 'RATE_LIMITED'; waitMs: number; at: number; maxLimitedRuns: number }
  /** The attempt ended (either way) with the sheet's cost past its own budget: no more attempts. */
  | { type: 'OVER_BUDGET'; error: string }
  /** Its instrument cannot take work (circuit open): move on to the next one of the chain. */
  | { type: 'UNAVAILABLE'; error: string }
  | { type: 'RETRY_DUE' }
  | { type: 'LIMIT_CLEARED' }
  /** A human or app resolved a fermata. */
  | { type: 'DECIDE'; decision: FermataDecision }
  | { type: 'CANCEL' };
