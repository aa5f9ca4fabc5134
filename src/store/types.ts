import type { SheetContext } from '../machines/sheet.js';
import type { FailureReason, JobOutcome, JobRunState, SheetMode, SheetState } from '../machines/types.js';

/**
 * What a checkpoint holds. One store belongs to one job (one workspace, one `baton.db`).
 * Times are absolute milliseconds of the conductor's clock (wall time in production), so
 * deadlines stored here survive a restart.
 */

/** The shape of a score the checkpoint was made from, to refuse an incompatible resume. */
export interface JobFingerprint {
  stages: Array<{ id: string; fanOut: number | null; dependsOn: Array<{ stage: string; member: number | null }> }>;
}

/**
 * The state of the conductor's gates (rate limits, circuit breakers, …) that a job's sheets
 * depend on, as the job last saw it: each gate's own JSON under its name. The store keeps
 * it as it is given and does not read it.
 */
export type PolicyState = Readonly<Record<string, unknown>>;

export interface JobRow {
  jobId: string;
  name: string;
  fingerprint: JobFingerprint;
  state: JobRunState;
  pauseReasons: string[];
  budgetUsd: number | null;
  outcome: JobOutcome | null;
  /** The gates' state for the job's instruments; absent in checkpoints before schema v4. */
  policies?: PolicyState;
  createdAt: number;
  updatedAt: number;
}

export interface SheetRow {
  /** Sheet id (fan-out members as `<stage>.<n>`). */
  id: string;
  state: SheetState;
  /** Every attempt run, whatever its outcome. */
  dispatches: number;
  /** Runs that ended rate-limited (counted in `dispatches`, not in the sheet's attempts). */
  rateLimited: number;
  /**
   * Runs cut short by a stop or a crash of the conductor (counted in `dispatches`, not in
   * the sheet's attempts: the sheet did not fail).
   */
  interrupted: number;
  /** Normal attempts consumed on the current instrument. */
  attempts: number;
  instrumentIndex: number;
  lastError: string | null;
  reason: FailureReason | null;
  skippedByDecision: boolean;
  costUsd: number;
  firstDispatchAt: number | null;
  endedAt: number | null;
  outputFile: string | null;
  /** A function instrument's output (JSON-serialisable; anything else is stored as null). */
  output: unknown;
  /** The sheet machine's context while the sheet is active; null when pending or terminal. */
  context: SheetContext | null;
  updatedAt: number;
}

/**
 * How an attempt ended. `interrupted`: the conductor stopped (Ctrl-C, SIGTERM, `shutdown()`)
 * or died while it ran; it ended without a result and used none of the sheet's attempts.
 */
/** `cancelled`: its sheet or job was cancelled while it ran, so it was never judged. */
export type AttemptStatus = 'running' | 'success' | 'failure' | 'rate_limited' | 'interrupted' | 'cancelled';

export interface AttemptRow {
  sheetId: string;
  /** 1-based dispatch number of the sheet; names its output files. */
  number: number;
  mode: SheetMode;
  instrument: string;
  model: string | null;
  startedAt: number;
  /**
   * When it ended. An `interrupted` one ends when its conductor stopped, or, after a crash,
   * at the dead conductor's last checkpoint write: the last moment it is known to have run.
   */
  endedAt: number | null;
  status: AttemptStatus;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  reason: FailureReason | null;
  costUsd: number | null;
  stdoutFile: string | null;
  stderrFile: string | null;
  /** Process id of a command attempt (its process group id), to stop orphans on resume. */
  pid: number | null;
  /** Start time of that process as the OS reports it, so a recycled pid is never killed. */
  pidStart: string | null;
  /** What the sheet's validations said after this attempt succeeded. */
  validation?: { passed: number; total: number; failed: string[] } | null;
}

/**
 * A sheet entering a state, as the checkpoint saw it at the end of a turn. Append-only: the
 * history a run report draws (rate-limit waits, retry backoffs, fermatas), which the sheet
 * rows, holding only the latest state, cannot tell.
 */
export interface SheetEventRow {
  sheetId: string;
  /** When the turn that moved it ended (conductor clock). */
  at: number;
  state: SheetState;
  /** The deadline of a `retry` or `waiting` state; null otherwise. */
  until: number | null;
  /** The sheet's failure reason on entering `retry`, `fermata`, `failed` or `skipped`. */
  detail: string | null;
}

/** Everything one inbox turn changed, written in one transaction. */
export interface CheckpointBatch {
  job?: JobRow;
  /** Upserted by id. */
  sheets: SheetRow[];
  /** Upserted by (sheetId, number). */
  attempts: AttemptRow[];
  /** Appended in order. */
  events?: SheetEventRow[];
  /** Ids of sheets the job no longer has (a forced resume of a smaller score): their rows, attempts and events go. */
  removedSheets?: string[];
}

export interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time (see `processStartTime`): a lock held by a recycled pid is stale. */
  pidStart?: string | null;
}

export interface LockInfo extends LockOwner {
  acquiredAt: number;
}

/**
 * A job's checkpoint. Synchronous on purpose: the conductor commits inside its turn,
 * before it acts, with no await in between.
 */
export interface CheckpointStore {
  /** Where it lives, for messages (a file path, or `memory`). */
  readonly location: string;
  /**
   * Takes the job's lock. A live holder on this host → `CheckpointLockedError`; a holder
   * whose process is gone (or the caller's own pid) is taken over.
   */
  acquireLock(owner: LockOwner): void;
  releaseLock(): void;
  /** The current holder, if any (for `status`). */
  lockHolder(): LockInfo | undefined;
  /** Writes a batch atomically (one transaction). */
  commit(batch: CheckpointBatch): void;
  loadJob(): JobRow | undefined;
  loadSheets(): SheetRow[];
  /** Attempts of one sheet, or of every sheet, ordered by sheet then number. */
  loadAttempts(sheetId?: string): AttemptRow[];
  /**
   * Job, sheets, attempts and lock read as one consistent snapshot (one read transaction),
   * for a reader while another process writes; with `events`, the sheet events too.
   * Optional: both built-in stores have it.
   */
  loadAll?(options?: { events?: boolean }): CheckpointContents;
  /** Removes the lock whoever holds it (a holder on another host that is known to be gone). */
  breakLock?(): void;
  close(): void;
}

/** Everything a checkpoint holds, as `loadAll` returns it. */
export interface CheckpointContents {
  job: JobRow | undefined;
  sheets: SheetRow[];
  attempts: AttemptRow[];
  lock: LockInfo | undefined;
  /** Every sheet event in the order written; present when asked for (`loadAll({ events: true })`). */
  events?: SheetEventRow[];
}
