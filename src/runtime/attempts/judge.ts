import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import type { SheetEvent } from '../../machines/sheet-events.js';
import type { FailureReason } from '../../machines/types.js';
import { RATE_LIMIT_DEFAULTS } from '../../score/rate-limit-defaults.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { AttemptVerdict } from '../gates/gate.js';
import { scanOutcome, type OutcomeScan, type OutcomeScanSpec } from './outcome-scan.js';

interface SettledAttempt {
  /** The event the sheet machine decides on. */
  event: SheetEvent;
  /** What this attempt cost (0 when nothing says). */
  costUsd: number;
}

/**
 * Translates what an instrument reported into the event the sheet machine decides on. A
 * sheet past its own budget fails whatever the attempt did; a rate-limited attempt that
 * was not aborted waits; otherwise success (with its validation pass rate) or failure. An
 * attempt that exited 0 is a failure when its JSON result says so (`scan.failed`).
 */
function settleAttempt(
  outcome: AttemptOutcome,
  attempt: LiveAttempt,
  scan: OutcomeScan,
  sheet: { spentUsd: number; budgetUsd: number | undefined; passRate: number; maxLimitedRuns: number },
  at: number,
  random: number,
): SettledAttempt {
  const costUsd = scan.costUsd ?? 0;
  const spent = sheet.spentUsd + costUsd;
  if (sheet.budgetUsd !== undefined && spent > sheet.budgetUsd) {
    const error = `spent $${spent.toFixed(4)}, over its budget of $${sheet.budgetUsd.toFixed(4)}`;
    return { event: { type: 'OVER_BUDGET', error }, costUsd };
  }
  if (outcome.status === 'success' && scan.failed !== true) {
    return { event: { type: 'SUCCEEDED', passRate: sheet.passRate, at, random }, costUsd };
  }
  if (scan.rateLimitWaitMs !== undefined && attempt.abortReason === undefined) {
    return { event: { type: 'RATE_LIMITED', waitMs: Math.max(0, scan.rateLimitWaitMs), at, maxLimitedRuns: sheet.maxLimitedRuns }, costUsd };
  }
  // What baton itself did to the attempt (a timeout, a cancel) says more than what it printed.
  const error = attempt.abortReason === undefined && scan.error !== undefined ? scan.error : failureMessage(outcome, attempt);
  return { event: { type: 'FAILED', reason: failureReason(outcome, attempt), error, at, random }, costUsd };
}

function failureReason(outcome: AttemptOutcome, attempt: LiveAttempt): FailureReason {
  if (attempt.abortReason === 'timeout') return 'timeout';
  if (outcome.unavailable) return 'unavailable';
  if (outcome.stale) return 'stale';
  if (outcome.signal) return 'crashed';
  return 'failed';
}

function failureMessage(outcome: AttemptOutcome, attempt: LiveAttempt): string {
  if (attempt.abortReason === 'timeout') {
    return attempt.withdrawn === true ? 'timed out in the dispatch buffer; it was never started' : 'timed out; the attempt was killed';
  }
  return outcome.error ?? 'failed';
}

/** Failures that say the instrument itself is in trouble: what a circuit breaker counts. */
const EXECUTION_FAILURES: ReadonlySet<FailureReason> = new Set(['failed', 'crashed', 'timeout', 'unavailable', 'stale']);

const NO_SCAN: OutcomeScanSpec = Object.freeze({});

export interface JudgedAttempt extends SettledAttempt {
  /** What the attempt says of its instrument's health, for the gates (a breaker counts it). */
  health: AttemptVerdict['health'];
  /**
   * The outcome as judged, for the sheet's record and the checkpoint: the instrument's own,
   * or, when its JSON result failed an attempt that exited 0, a failure with that error.
   */
  outcome: AttemptOutcome;
}

/**
 * Everything an ended attempt means, decided without touching anything: its output scanned
 * for a rate limit and a cost (with the instrument's patterns), the sheet's budget and
 * validation pass rate applied, and what it says of the instrument's health.
 */
export function judgeAttempt(
  job: Job,
  record: SheetRecord,
  attempt: LiveAttempt,
  outcome: AttemptOutcome,
  at: number,
  random: number,
): JudgedAttempt {
  const spec = job.score.instruments[attempt.instrument];
  const scan = scanOutcome(outcome, spec ?? NO_SCAN);
  const sheet = {
    spentUsd: record.costUsd,
    budgetUsd: record.stage.spec.budgetUsd,
    passRate: outcome.validation?.passRate ?? 1,
    maxLimitedRuns: spec?.rateLimit?.maxLimitedRuns ?? RATE_LIMIT_DEFAULTS.maxLimitedRuns,
  };
  const settled = settleAttempt(outcome, attempt, scan, sheet, at, random);
  const { event } = settled;
  const health =
    event.type === 'FAILED' && EXECUTION_FAILURES.has(event.reason)
      ? 'failure'
      : event.type === 'SUCCEEDED' && event.passRate >= 1
        ? 'success'
        : 'none';
  const judged: AttemptOutcome =
    scan.failed === true ? { ...outcome, status: 'failure', ...(event.type === 'FAILED' && { error: event.error }) } : outcome;
  return { event, costUsd: settled.costUsd, health, outcome: judged };
}
