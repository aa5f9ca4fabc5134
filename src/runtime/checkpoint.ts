import type { AttemptOutcome } from '../actors/instrument.js';
import type { Job, LiveAttempt, SheetRecord } from './job.js';
import { fingerprintOf } from './fingerprint.js';
import type { AttemptRow, CheckpointStore, JobRow, PolicyState, SheetRow } from './store/types.js';

/**
 * Collects what a turn changed in one job and writes it in one transaction. The conductor
 * flushes before it acts (before any musician starts), so what it acts on is on disk.
 */
export class Checkpointer {
  private readonly dirtySheets = new Set<SheetRecord>();
  private readonly dirtyAttempts = new Set<AttemptRow>();
  private jobDirty = true;
  /** The instrument-wide state to record with the job (rate limits, breakers). */
  policies: (() => PolicyState) | undefined = undefined;
  private readonly createdAt: number;

  constructor(
    readonly store: CheckpointStore,
    createdAt: number,
  ) {
    this.createdAt = createdAt;
  }

  sheetChanged(record: SheetRecord): void {
    this.dirtySheets.add(record);
  }

  jobChanged(): void {
    this.jobDirty = true;
  }

  /** Everything, as when a job is first registered. */
  allChanged(job: Job): void {
    for (const record of job.sheets) this.dirtySheets.add(record);
    this.jobDirty = true;
  }

  attemptStarted(job: Job, record: SheetRecord, attempt: LiveAttempt, now: number): AttemptRow {
    const context = record.actor?.getSnapshot().context;
    const row: AttemptRow = {
      sheetId: record.id,
      number: record.dispatches,
      mode: context?.mode ?? 'normal',
      instrument: attempt.instrument,
      model: attempt.model ?? null,
      startedAt: now,
      endedAt: null,
      status: 'running',
      exitCode: null,
      signal: null,
      error: null,
      reason: null,
      costUsd: null,
      stdoutFile: null,
      stderrFile: null,
      pid: null,
      pidStart: null,
    };
    this.dirtyAttempts.add(row);
    return row;
  }

  attemptProcess(row: AttemptRow, pid: number, pidStart: string | null): void {
    row.pid = pid;
    row.pidStart = pidStart;
    this.dirtyAttempts.add(row);
  }

  attemptFinished(row: AttemptRow, outcome: AttemptOutcome, record: SheetRecord, now: number, costUsd: number): void {
    row.endedAt = now;
    row.status =
      outcome.status === 'success' ? 'success' : outcome.rateLimitedS !== undefined ? 'rate_limited' : 'failure';
    row.exitCode = outcome.exitCode ?? null;
    row.signal = outcome.signal ?? null;
    row.error = outcome.status === 'success' ? null : (record.lastError ?? outcome.error ?? null);
    row.reason = outcome.status === 'success' ? null : record.reason;
    row.costUsd = costUsd > 0 || outcome.costUsd !== undefined ? costUsd : null;
    row.stdoutFile = outcome.stdoutFile ?? null;
    row.stderrFile = outcome.stderrFile ?? null;
    if (outcome.validation !== undefined) {
      const { passed, total, failed } = outcome.validation;
      row.validation = { passed, total, failed };
    }
    this.dirtyAttempts.add(row);
  }

  /** An attempt that was running when its conductor died: it ended without a result. */
  attemptInterrupted(row: AttemptRow, now: number): void {
    row.endedAt = now;
    row.status = 'failure';
    row.error = 'interrupted: the conductor stopped before the attempt ended';
    row.reason = 'crashed';
    this.dirtyAttempts.add(row);
  }

  get pending(): boolean {
    return this.jobDirty || this.dirtySheets.size > 0 || this.dirtyAttempts.size > 0;
  }

  /** Writes what changed; throws what the store throws, leaving the changes marked. */
  flush(job: Job, now: number): void {
    if (!this.pending) return;
    const sheets: SheetRow[] = [];
    for (const record of this.dirtySheets) sheets.push(sheetRow(record, now));
    this.store.commit({
      ...(this.jobDirty ? { job: this.jobRow(job, now) } : {}),
      sheets,
      attempts: [...this.dirtyAttempts],
    });
    this.dirtySheets.clear();
    this.dirtyAttempts.clear();
    this.jobDirty = false;
  }

  private jobRow(job: Job, now: number): JobRow {
    return {
      jobId: job.jobId,
      name: job.score.name,
      fingerprint: fingerprintOf(job.score),
      state: job.state,
      pauseReasons: [...job.pauseReasons],
      budgetUsd: job.score.budgetUsd ?? null,
      outcome: job.outcome ?? null,
      ...(this.policies !== undefined ? { policies: this.policies() } : {}),
      createdAt: this.createdAt,
      updatedAt: now,
    };
  }
}

export function sheetRow(record: SheetRecord, now: number): SheetRow {
  return {
    id: record.id,
    state: record.state,
    dispatches: record.dispatches,
    attempts: record.attempts,
    instrumentIndex: record.instrumentIndex,
    lastError: record.lastError,
    reason: record.reason,
    skippedByDecision: record.skippedByDecision,
    costUsd: record.costUsd,
    firstDispatchAt: record.firstDispatchAt ?? null,
    endedAt: record.endedAt ?? null,
    outputFile: record.outputFile ?? null,
    output: record.output,
    context: record.actor ? record.actor.getSnapshot().context : null,
    updatedAt: now,
  };
}
