import type { FailureReason, JobOutcome, JobRunState, SheetState } from '../machines/types.js';
import type { StateCounts } from './events.js';
import type { Job } from './model/job.js';

export interface SheetStatus {
  id: string;
  state: SheetState;
  /** Runs that used the sheet's budget of attempts (the running one included): every run but the rate-limited and interrupted ones. */
  attempts: number;
  /** Runs that ended rate-limited: they used no attempt. */
  rateLimited: number;
  /** Runs cut short by a stop or a crash of the conductor: they used no attempt either. */
  interrupted: number;
  instrument: string;
  model?: string;
  lastError?: string;
  reason?: FailureReason;
  costUsd: number;
  /** Conductor clock (ms) of the first dispatch and of the end, when they happened. */
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
}

export interface JobStatus {
  jobId: string;
  name: string;
  state: JobRunState;
  pauseReasons: string[];
  counts: StateCounts;
  inFlight: number;
  costUsd: number;
  startedAt: number;
  endedAt?: number;
  /** Elapsed ms (up to now for a job still running). */
  durationMs: number;
  sheets: SheetStatus[];
  outcome?: JobOutcome;
}

export function jobStatus(job: Job, now: number): JobStatus {
  let cost = 0;
  const sheets = job.sheets.map((record): SheetStatus => {
    const { name, model } = job.instrumentOf(record);
    cost += record.costUsd;
    const status: SheetStatus = {
      id: record.id,
      state: record.state,
      attempts: record.attemptsRun,
      rateLimited: record.rateLimited,
      interrupted: record.interrupted,
      instrument: name,
      costUsd: record.costUsd,
    };
    if (model !== undefined) status.model = model;
    if (record.lastError !== null) status.lastError = record.lastError;
    if (record.reason !== null) status.reason = record.reason;
    if (record.firstDispatchAt !== undefined) {
      status.startedAt = record.firstDispatchAt;
      const end = record.endedAt ?? now;
      status.durationMs = end - record.firstDispatchAt;
    }
    if (record.endedAt !== undefined) status.endedAt = record.endedAt;
    return status;
  });
  const status: JobStatus = {
    jobId: job.jobId,
    name: job.score.name,
    state: job.state,
    pauseReasons: [...job.pauseReasons],
    counts: { ...job.counts },
    inFlight: job.inFlight,
    costUsd: cost,
    startedAt: job.startedAt,
    durationMs: (job.endedAt ?? now) - job.startedAt,
    sheets,
  };
  if (job.endedAt !== undefined) status.endedAt = job.endedAt;
  if (job.outcome !== undefined) status.outcome = job.outcome;
  return status;
}
