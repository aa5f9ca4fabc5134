import type { FailureReason, FermataDecision, SheetMode, SheetState } from '../machines/types.js';

interface SheetEventBase {
  jobId: string;
  sheetId: string;
  /** Conductor clock, ms. */
  at: number;
}

/** What the event bus carries: the observable life of jobs and sheets. */
export type BatonEvent =
  | { type: 'job.started'; jobId: string; name: string; sheets: number; at: number }
  | { type: 'job.paused'; jobId: string; reason: string; at: number }
  | { type: 'job.resumed'; jobId: string; at: number }
  | { type: 'job.held'; jobId: string; fermatas: string[]; at: number }
  | { type: 'job.completed'; jobId: string; at: number }
  | { type: 'job.failed'; jobId: string; failed: number; skipped: number; at: number }
  | { type: 'job.cancelled'; jobId: string; at: number }
  | { type: 'rate_limit.active'; instrument: string; model?: string; untilMs: number; at: number }
  | { type: 'rate_limit.cleared'; instrument: string; model?: string; at: number }
  | { type: 'circuit.open'; instrument: string; reopenAt: number; at: number }
  | { type: 'circuit.half_open'; instrument: string; at: number }
  | { type: 'circuit.closed'; instrument: string; at: number }
  /** The coordination backend could not be reached: policies go on with this conductor's own state until it is back. */
  | { type: 'coordination.offline'; target: string; error: string; at: number }
  /** The coordination backend answers again: shared state is read and this conductor's is pushed to it. */
  | { type: 'coordination.online'; target: string; at: number }
  | (SheetEventBase & {
      type: 'sheet.dispatched';
      /** Within its mode, as `{{sheet.attempt}}`: rate-limited and interrupted runs used none. */
      attempt: number;
      /** Every run of the sheet, this one included, as `{{sheet.run}}`: the `<n>` of its output files. */
      run: number;
      mode: SheetMode;
      instrument: string;
      model?: string;
    })
  | (SheetEventBase & { type: 'sheet.running'; attempt: number })
  /** `attempts`: runs that used the sheet's attempts; `rateLimited`: runs that ended rate-limited (they used none). */
  | (SheetEventBase & { type: 'sheet.completed'; attempts: number; rateLimited: number; costUsd?: number })
  | (SheetEventBase & { type: 'sheet.partial'; passRate: number; attempt: number })
  | (SheetEventBase & {
      type: 'sheet.retry';
      attempt: number;
      reason: FailureReason;
      error: string;
      delayMs: number;
      mode: SheetMode;
    })
  | (SheetEventBase & { type: 'sheet.waiting'; untilMs: number })
  | (SheetEventBase & {
      type: 'sheet.fallback';
      from: string;
      to: string;
      reason: FailureReason;
      error: string;
    })
  | (SheetEventBase & { type: 'sheet.fermata'; reason: FailureReason; error: string })
  | (SheetEventBase & { type: 'sheet.decided'; decision: FermataDecision })
  | (SheetEventBase & { type: 'sheet.failed'; reason: FailureReason; error: string })
  | (SheetEventBase & { type: 'sheet.skipped'; reason: FailureReason })
  | (SheetEventBase & { type: 'sheet.cancelled' })
  /**
   * An attempt ended; `outcome` is what it counts as (rate-limited attempts included).
   * `cancelled`: its sheet was cancelled; `interrupted`: the conductor stopped (`shutdown()`)
   * while it ran, and a resume runs its sheet again. Neither was judged.
   */
  | (SheetEventBase & {
      type: 'attempt.ended';
      attempt: number;
      instrument: string;
      model?: string;
      outcome: 'success' | 'partial' | 'failure' | 'rate_limited' | 'cancelled' | 'interrupted';
      reason?: FailureReason;
      costUsd: number;
      /** From the dispatch decision to the end of the attempt, conductor clock. */
      durationMs: number;
    })
  /** The instrument's dispatch buffer was full: the sheet stays ready for a later turn. */
  | (SheetEventBase & { type: 'dispatch.at_capacity'; instrument: string })
  /** Starting a musician failed inside a buffer worker. A transient failure is retried by the buffer. */
  | (SheetEventBase & { type: 'dispatch.start_error'; instrument: string; permanent: boolean; error: string })
  /** An instrument's dispatch buffer changed: starts queued and starts in progress. */
  | { type: 'buffer.depth'; instrument: string; queued: number; starting: number; at: number };

export type BatonEventType = BatonEvent['type'];

/** The sheet states a status snapshot reports, with a count of each. */
export type StateCounts = Record<SheetState, number>;
