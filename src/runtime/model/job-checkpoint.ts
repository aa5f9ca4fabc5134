import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import type { AttemptRow, CheckpointStore } from '../../store/types.js';
import type { LiveAttempt } from './live-attempt.js';
import type { SheetRecord } from './sheet-record.js';

/**
 * A job's checkpoint as the model keeps it: the store it goes to, and what changed since it
 * was last written (the conductor writes it in one transaction per turn, before it acts;
 * see `durability/checkpoint.ts`). Jobs without a store have none and track nothing.
 */
export class JobCheckpoint {
  readonly sheets = new Set<SheetRecord>();
  readonly attempts = new Set<AttemptRow>();
  /** The job row itself (state, pauses, outcome, gate state) must be written. */
  job = true;

  constructor(
    readonly store: CheckpointStore,
    /** When the checkpoint was first made (kept across resumes). */
    readonly createdAt: number,
  ) {}

  get pending(): boolean {
    return this.job || this.sheets.size > 0 || this.attempts.size > 0;
  }

  sheetChanged(record: SheetRecord): void {
    this.sheets.add(record);
  }

  jobChanged(): void {
    this.job = true;
  }

  /** Everything, as when a job is first registered. */
  allChanged(sheets: Iterable<SheetRecord>): void {
    for (const record of sheets) this.sheets.add(record);
    this.job = true;
  }

  /** The row of an attempt just dispatched. */
  attemptStarted(record: SheetRecord, attempt: LiveAttempt, now: number): AttemptRow {
    const row: AttemptRow = {
      sheetId: record.id,
      number: record.dispatches,
      mode: record.actor?.getSnapshot().context.mode ?? 'normal',
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
    this.attempts.add(row);
    return row;
  }

  attemptProcess(row: AttemptRow, pid: number, pidStart: string | null): void {
    row.pid = pid;
    row.pidStart = pidStart;
    this.attempts.add(row);
  }

  /** `rateLimited`: the conductor judged it so (a function's own report, or a command's output matching `rate_limit`). */
  attemptFinished(row: AttemptRow, outcome: AttemptOutcome, record: SheetRecord, now: number, costUsd: number, rateLimited: boolean): void {
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
    this.attempts.add(row);
  }

  /**
   * An attempt its conductor did not see to the end: stopped with it (`outcome` says how the
   * process ended), or left running when it died (found on the resume). It ended at `endedAt`
   * without a result, and counts on its sheet (when the score still has it) apart from the attempts.
   */
  attemptInterrupted(row: AttemptRow, record: SheetRecord | undefined, endedAt: number, error: string, outcome?: AttemptOutcome): void {
    row.endedAt = Math.max(row.startedAt, endedAt);
    row.status = 'interrupted';
    row.error = error;
    row.reason = null;
    if (outcome !== undefined) {
      row.exitCode = outcome.exitCode ?? null;
      row.signal = outcome.signal ?? null;
      row.stdoutFile = outcome.stdoutFile ?? null;
      row.stderrFile = outcome.stderrFile ?? null;
    }
    this.attempts.add(row);
    if (record === undefined) return;
    record.interrupted++;
    this.sheets.add(record);
  }

  /**
   * An attempt killed because its sheet or job was cancelled: it ended at `endedAt`, was never
   * judged, and its sheet's state (cancelled) says the rest. An attempt already recorded as
   * ended (a late report of one that timed out) is left as it was.
   */
  attemptCancelled(row: AttemptRow, endedAt: number, outcome: AttemptOutcome): void {
    if (row.status !== 'running') return;
    row.endedAt = Math.max(row.startedAt, endedAt);
    row.status = 'cancelled';
    row.error = 'cancelled: its sheet or job was cancelled while it ran';
    row.reason = null;
    row.exitCode = outcome.exitCode ?? null;
    row.signal = outcome.signal ?? null;
    row.stdoutFile = outcome.stdoutFile ?? null;
    row.stderrFile = outcome.stderrFile ?? null;
    this.attempts.add(row);
  }

  /** What was written is no longer pending. */
  written(): void {
    this.sheets.clear();
    this.attempts.clear();
    this.job = false;
  }
}
