import type { AttemptOutcome } from '../actors/instrument.js';
import type { SheetEvent } from '../machines/sheet-events.js';
import type { FailureReason } from '../machines/types.js';
import type { LiveAttempt } from './job.js';

/** What an attempt's output says beyond its exit: a rate limit, a cost. */
export interface OutcomeScan {
  rateLimitWaitMs?: number;
  costUsd?: number;
}

export interface SettledAttempt {
  /** The event the sheet machine decides on. */
  event: SheetEvent;
  /** What this attempt cost (0 when nothing says). */
  costUsd: number;
}

/**
 * Translates what an instrument reported into the event the sheet machine decides on. A
 * sheet past its own budget fails whatever the attempt did; a rate-limited attempt that
 * was not aborted waits; otherwise success (with its validation pass rate) or failure.
 */
export function settleAttempt(
  outcome: AttemptOutcome,
  attempt: LiveAttempt,
  scan: OutcomeScan,
  sheet: { spentUsd: number; budgetUsd: number | undefined; passRate: number },
  at: number,
  random: number,
): SettledAttempt {
  const costUsd = scan.costUsd ?? 0;
  const spent = sheet.spentUsd + costUsd;
  if (sheet.budgetUsd !== undefined && spent > sheet.budgetUsd) {
    const error = `spent $${spent.toFixed(4)}, over its budget of $${sheet.budgetUsd.toFixed(4)}`;
    return { event: { type: 'OVER_BUDGET', error }, costUsd };
  }
  if (outcome.status === 'success') {
    return { event: { type: 'SUCCEEDED', passRate: sheet.passRate, at, random }, costUsd };
  }
  if (scan.rateLimitWaitMs !== undefined && attempt.abortReason === undefined) {
    return { event: { type: 'RATE_LIMITED', waitMs: Math.max(0, scan.rateLimitWaitMs), at }, costUsd };
  }
  return {
    event: { type: 'FAILED', reason: failureReason(outcome, attempt), error: failureMessage(outcome, attempt), at, random },
    costUsd,
  };
}

function failureReason(outcome: AttemptOutcome, attempt: LiveAttempt): FailureReason {
  if (attempt.abortReason === 'timeout') return 'timeout';
  if (outcome.unavailable) return 'unavailable';
  if (outcome.stale) return 'stale';
  if (outcome.signal) return 'crashed';
  return 'failed';
}

function failureMessage(outcome: AttemptOutcome, attempt: LiveAttempt): string {
  if (attempt.abortReason === 'timeout') return 'timed out; the attempt was killed';
  return outcome.error ?? 'failed';
}
