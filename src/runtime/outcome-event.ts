import type { AttemptOutcome } from '../actors/instrument.js';
import type { SheetEvent } from '../machines/sheet-events.js';
import type { FailureReason } from '../machines/types.js';
import type { LiveAttempt } from './job.js';

/** Translates what an instrument reported into the event the sheet machine decides on. */
export function outcomeEvent(outcome: AttemptOutcome, attempt: LiveAttempt, at: number, random: number): SheetEvent {
  if (outcome.status === 'success') {
    return { type: 'SUCCEEDED', passRate: 1, at, random };
  }
  if (outcome.rateLimitedS !== undefined && attempt.abortReason === undefined) {
    return { type: 'RATE_LIMITED', waitMs: Math.max(0, outcome.rateLimitedS * 1000), at };
  }
  return { type: 'FAILED', reason: failureReason(outcome, attempt), error: failureMessage(outcome, attempt), at, random };
}

function failureReason(outcome: AttemptOutcome, attempt: LiveAttempt): FailureReason {
  if (attempt.abortReason === 'timeout') return 'timeout';
  if (outcome.unavailable) return 'unavailable';
  if (outcome.signal) return 'crashed';
  return 'failed';
}

function failureMessage(outcome: AttemptOutcome, attempt: LiveAttempt): string {
  if (attempt.abortReason === 'timeout') return 'timed out; the attempt was killed';
  return outcome.error ?? 'failed';
}
