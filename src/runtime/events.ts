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
  | (SheetEventBase & {
      type: 'sheet.dispatched';
      attempt: number;
      mode: SheetMode;
      instrument: string;
      model?: string;
    })
  | (SheetEventBase & { type: 'sheet.running'; attempt: number })
  | (SheetEventBase & { type: 'sheet.completed'; attempts: number; costUsd?: number })
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
  | (SheetEventBase & { type: 'sheet.cancelled' });

export type BatonEventType = BatonEvent['type'];

/** The sheet states a status snapshot reports, with a count of each. */
export type StateCounts = Record<SheetState, number>;
