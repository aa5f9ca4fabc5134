import type { SheetEvent } from '../../machines/sheet-events.js';
import type { BatonEvent } from '../events.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import type { SheetRecord } from '../model/sheet-record.js';

type AttemptEnded = Extract<BatonEvent, { type: 'attempt.ended' }>;
type Judgement = Pick<AttemptEnded, 'outcome' | 'reason'>;

/** What a judged attempt counts as, read from the event its sheet decides on. */
export function judgement(event: SheetEvent): Judgement {
  switch (event.type) {
    case 'SUCCEEDED':
      if (event.passRate >= 1) return { outcome: 'success' };
      // No validation passed: the sheet machine treats it as a failure, so does the count.
      return event.passRate > 0 ? { outcome: 'partial' } : { outcome: 'failure', reason: 'validation_failed' };
    case 'RATE_LIMITED':
      return { outcome: 'rate_limited' };
    case 'FAILED':
      return { outcome: 'failure', reason: event.reason };
    case 'OVER_BUDGET':
      return { outcome: 'failure', reason: 'budget' };
    default:
      return { outcome: 'failure' };
  }
}

/** An attempt the conductor did not judge because its sheet was cancelled. */
export const UNJUDGED: Judgement = { outcome: 'cancelled' };

/** An attempt the conductor did not judge because it stopped: the sheet runs again on a resume. */
export const INTERRUPTED: Judgement = { outcome: 'interrupted' };

export function attemptEndedEvent(
  job: Job,
  record: SheetRecord,
  attempt: LiveAttempt,
  judged: Judgement,
  costUsd: number,
  at: number,
): AttemptEnded {
  return {
    type: 'attempt.ended',
    jobId: job.jobId,
    sheetId: record.id,
    attempt: attempt.number,
    instrument: attempt.instrument,
    ...(attempt.model !== undefined ? { model: attempt.model } : {}),
    ...judged,
    costUsd,
    durationMs: at - attempt.dispatchedAt,
    at,
  };
}
