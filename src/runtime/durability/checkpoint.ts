import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import type { Job, LiveAttempt, SheetRecord } from '../model/job.js';
import { fingerprintOf } from './fingerprint.js';
import type { AttemptRow, CheckpointStore, JobRow, PolicyState, SheetEventRow, SheetRow } from '../../store/types.js';

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

  /** The states a restored job's sheets had in the checkpoint, so only real moves become events. */
  storedStates(job: Job, rows: readonly SheetRow[]): void {
    for (const row of rows) {
      const record = job.byId.get(row.id);
      if (record !== undefined) record.storedState = row.state;
    }
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

  /** `rateLimited`: the conductor judged it so (a function's own report, or a command's output matching `rate_limit`). */
  attemptFinished(
    row: AttemptRow,
    outcome: AttemptOutcome,
    record: SheetRecord,
    now: number,
    costUsd: number,
    rateLimited: boolean,
  ): void {
    row.endedAt = now;
    row.status = outcome.status === 'success' ? 'success' : rateLimited ? 'rate_limited' : 'failure';
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
    const events: SheetEventRow[] = [];
    const moved: SheetRecord[] = [];
    for (const record of this.dirtySheets) {
      const row = sheetRow(record, now);
      sheets.push(row);
      if (record.storedState !== row.state) {
        events.push(sheetEvent(row, now));
        moved.push(record);
      }
    }
    this.store.commit({
      ...(this.jobDirty ? { job: this.jobRow(job, now) } : {}),
      sheets,
      attempts: [...this.dirtyAttempts],
      events,
    });
    for (const record of moved) record.storedState = record.state;
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

/** The event of a sheet row's state, as of `at`: the deadline it waits for, or why it failed. */
export function sheetEvent(row: SheetRow, at: number): SheetEventRow {
  const until = row.state === 'retry' ? row.context?.retryAt : row.state === 'waiting' ? row.context?.waitUntil : null;
  const failing = row.state === 'retry' || row.state === 'fermata' || row.state === 'failed' || row.state === 'skipped';
  return { sheetId: row.id, at, state: row.state, until: until ?? null, detail: failing ? row.reason : null };
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
